"""Database invariants of the sales models (constraints hold even when a service is bypassed)."""

import pytest
from django.db import IntegrityError, transaction

from daifuku.sales.models import Stage
from tests.sales.factories import DealFactory, SalesTargetFactory, default_pipeline


def test_the_default_pipeline_is_seeded_with_a_won_and_a_lost_stage(db):
    # given / when
    stages = list(default_pipeline().stages.values_list("name", "probability", "is_won", "is_lost"))
    # then
    assert stages == [
        ("初回接触", 10, False, False),
        ("ヒアリング", 20, False, False),
        ("提案", 40, False, False),
        ("見積提示", 60, False, False),
        ("最終交渉", 80, False, False),
        ("受注", 100, True, False),
        ("失注", 0, False, True),
    ]


def test_a_stage_cannot_be_won_and_lost(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(pipeline=default_pipeline(), name="両方", is_won=True, is_lost=True)


def test_deal_probability_cannot_exceed_100(db, rep_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        DealFactory(owner=rep_a, probability=101)


def test_a_target_belongs_to_a_rep_or_a_team_not_both(db, rep_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesTargetFactory(user=rep_a, team=rep_a.team)
