"""Single-row ORM saves that change what a search returns append to the
workforce change sequence in the same transaction (see skills_app.index.changes).

Deletes of people, person skills, role history and requirements are recorded by
the services and admin actions that make them, not by post_delete receivers:
a receiver would stop Django deleting those tables in bulk (it must then load
and signal every row, which turns a reset of 1.5M person skills into minutes).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from skills_app.index.changes import workforce_changed
from skills_app.people.models import ChangeScope, Person, PersonSkill, RoleHistory
from skills_app.roles.models import RoleProfile, RoleRequirement
from skills_app.surge.models import Allocation, SurgeScenario
from taxonomy.models import Skill, SkillRelation


@receiver(post_save, sender=Person)
def _person_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.PERSON, [instance.pk])


@receiver(post_save, sender=PersonSkill)
def _person_skill_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.PERSON, [instance.person_id])


@receiver(post_save, sender=RoleHistory)
def _history_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.HISTORY, [instance.person_id])


@receiver(post_save, sender=RoleProfile)
@receiver(post_save, sender=RoleRequirement)
def _roles_changed(sender, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.ROLES)


@receiver([post_save, post_delete], sender=Skill)
@receiver([post_save, post_delete], sender=SkillRelation)
def _taxonomy_changed(sender, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.TAXONOMY)


@receiver([post_save, post_delete], sender=SurgeScenario)
@receiver([post_save, post_delete], sender=Allocation)
def _allocations_changed(sender, raw=False, **kwargs):
    if not raw:
        workforce_changed(ChangeScope.ALLOCATIONS)
