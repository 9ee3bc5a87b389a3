from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from partnerships.services import parties_changed

        from .derived import partnership_derived_facts_refresh

        def refresh(sender, *, partnership_ids, **kwargs):
            partnership_derived_facts_refresh(partnership_ids=partnership_ids)

        parties_changed.connect(refresh, dispatch_uid="agreements.derived", weak=False)
