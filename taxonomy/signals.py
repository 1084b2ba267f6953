"""Any single-row write to skills or their labels (the admin, a service, a test
factory) changes the taxonomy token, so no process keeps searching a stale
label index. Bulk importers bypass signals and call taxonomy_changed() once."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from taxonomy.models import Skill, SkillAlias
from taxonomy.services import taxonomy_changed


@receiver([post_save, post_delete], sender=Skill)
@receiver([post_save, post_delete], sender=SkillAlias)
def _label_index_is_stale(sender, **kwargs):
    taxonomy_changed()
