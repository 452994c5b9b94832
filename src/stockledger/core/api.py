"""JSON API for the caller's identity (token management comes with the API issue)."""

from ninja import Router, Schema

router = Router(tags=["account"])


class MeOut(Schema):
    user: str
    company_id: int
    company_name: str


@router.get("/me", response=MeOut, summary="Who this token belongs to")
def me(request):
    return {
        "user": request.user.username,
        "company_id": request.company.id,
        "company_name": request.company.name,
    }
