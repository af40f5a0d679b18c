from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from disclosure import pow
from disclosure.policy import pow_demanded


@require_GET
@never_cache
def pow_challenge(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge, as hard as this client's next check needs."""
    difficulty = max(pow_demanded(request), settings.POW_MIN_DIFFICULTY)
    return JsonResponse(pow.challenge(difficulty))
