from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = "Partnerships"

    def ready(self):
        from . import memo

        memo.forget_on_change(
            *(self.get_model(name) for name in ("Membership", "Organization", "PartnershipParty"))
        )
