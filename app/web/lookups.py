"""Finding what a public address names, or answering 404."""

from flask import abort

from app.models import Institution
from app.services.administration.institutions import find_institution


def institution_or_404(slug: str) -> Institution:
    """The institution at this address, or a 404 page."""
    found = find_institution(slug)
    if found is None:
        abort(404)
    return found
