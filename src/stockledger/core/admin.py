from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Company, User

admin.site.register(Company)


@admin.register(User)
class StockledgerUserAdmin(UserAdmin[User]):
    fieldsets = tuple(UserAdmin.fieldsets or ()) + (("Company", {"fields": ("company",)}),)
