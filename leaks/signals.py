"""What the core tells the places around it, without importing them.

``import_visible`` is sent inside the transaction that lets the public see an
import's new exposures: when the merge of an import ends, and for each finished
import of a breach an admin publishes. Keyword argument: ``job`` (ImportJob).
A receiver that acts on it should do so on commit (the alerts app queues its
matching then); sending it twice for one job must be harmless.
"""

from django.dispatch import Signal

import_visible = Signal()
