from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from disclosure import pow, pressure


@require_GET
@never_cache
def pow_challenge(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge, sized to the site's current pressure."""
    return JsonResponse(pow.challenge(pressure.difficulty()))
