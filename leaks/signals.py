"""What the core tells the places around it, without importing them.

``import_visible`` is sent inside the transaction that lets the public see an
import's new exposures: when the merge of an import ends, and for each finished
import of a breach an admin publishes. Keyword argument: ``job`` (ImportJob).
A receiver that acts on it should do so on commit (the alerts app queues its
matching then); sending it twice for one job must be harmless.

``replica_read_failed`` is sent when a lookup's read on a replica failed (the
lookup then read the primary). Keyword argument: ``alias`` (the replica's alias).
"""

from django.dispatch import Signal

import_visible = Signal()
replica_read_failed = Signal()
