"""Pipeline and stage settings (administrators): create, rename, probability, flags, order, delete rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from daifuku.core.models import AuditEntry
from daifuku.sales.models import Pipeline, Stage
from daifuku.sales.services.deals import (
    deal_change_stage,
    pipeline_create,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)
from tests.sales.factories import DealFactory, PipelineFactory, default_pipeline, stage_named


def names(pipeline):
    return list(pipeline.stages.order_by("sort_order", "id").values_list("name", flat=True))


def test_new_pipeline_gets_won_and_lost_stages(admin):
    # when
    pipeline = pipeline_create(by=admin, data={"name": "更新営業", "stale_days": "30"})
    # then
    assert (pipeline.name, pipeline.stale_days, pipeline.is_default) == ("更新営業", 30, False)
    assert [(s.name, s.probability, s.is_won, s.is_lost) for s in pipeline.stages.order_by("sort_order")] == [
        ("受注", 100, True, False),
        ("失注", 0, False, True),
    ]
    assert (
        AuditEntry.objects.filter(
            object_type="sales.pipeline", object_id=pipeline.pk, action="create"
        ).count()
        == 1
    )


def test_pipeline_name_must_be_unique(admin):
    # when
    with pytest.raises(ValidationError) as exc:
        pipeline_create(by=admin, data={"name": "新規営業"})
    # then
    assert exc.value.message_dict == {"name": ["パイプライン「新規営業」は既にあります。"]}


def test_making_a_pipeline_the_default_moves_the_flag(admin):
    # given
    pipeline = PipelineFactory(name="更新営業")
    # when
    pipeline_update(pipeline=pipeline, by=admin, data={"is_default": True})
    # then
    assert list(Pipeline.objects.filter(is_default=True)) == [pipeline]


def test_rep_cannot_change_settings(rep_a):
    # when
    with pytest.raises(PermissionDenied):
        pipeline_create(by=rep_a, data={"name": "勝手な"})
    with pytest.raises(PermissionDenied):
        stage_update(stage=stage_named("提案"), by=rep_a, data={"probability": 99})
    # then
    assert not Pipeline.objects.filter(name="勝手な").exists()
    assert stage_named("提案").probability == 40


def test_new_stage_goes_before_won_and_lost(admin):
    # when
    stage_create(pipeline=default_pipeline(), by=admin, data={"name": "契約手続き", "probability": "90"})
    # then
    assert names(default_pipeline()) == [
        "初回接触", "ヒアリング", "提案", "見積提示", "最終交渉", "契約手続き", "受注", "失注"
    ]  # fmt: skip
    assert stage_named("契約手続き").probability == 90


def test_rename_and_probability_keep_open_deals_probability(admin, rep_a):
    # given
    deal = DealFactory(owner=rep_a, stage=stage_named("提案"), probability=45)
    # when
    stage_update(stage=stage_named("提案"), by=admin, data={"name": "提案中", "probability": "50"})
    # then
    stage = stage_named("提案中")
    assert stage.probability == 50
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stage, 45)


def test_a_second_won_stage_is_refused(admin):
    # when
    with pytest.raises(ValidationError) as exc:
        stage_update(stage=stage_named("最終交渉"), by=admin, data={"is_won": True})
    # then
    assert exc.value.message_dict == {"is_won": ["パイプラインには受注のステージがちょうど1つ必要です。"]}
    assert stage_named("最終交渉").is_won is False


def test_the_only_lost_stage_cannot_lose_its_flag(admin):
    # when
    with pytest.raises(ValidationError) as exc:
        stage_update(stage=stage_named("失注"), by=admin, data={"is_lost": False})
    # then
    assert exc.value.message_dict == {"is_lost": ["パイプラインには失注のステージが1つ以上必要です。"]}
    assert stage_named("失注").is_lost is True


def test_won_and_lost_at_once_is_refused(admin):
    # when
    with pytest.raises(ValidationError) as exc:
        stage_create(
            pipeline=default_pipeline(), by=admin, data={"name": "謎", "is_won": True, "is_lost": True}
        )
    # then
    assert exc.value.message_dict == {"is_lost": ["受注と失注の両方にはできません。"]}
    assert not Stage.objects.filter(name="謎").exists()


def test_a_stage_with_deals_cannot_be_deleted(admin, rep_a):
    # given
    DealFactory(owner=rep_a, stage=stage_named("提案"))
    # when
    with pytest.raises(ValidationError) as exc:
        stage_delete(stage=stage_named("提案"), by=admin)
    # then
    assert exc.value.message_dict == {"stage": ["ステージ「提案」には商談が1件あるため削除できません。"]}
    assert "提案" in names(default_pipeline())


def test_a_stage_in_deal_history_cannot_be_deleted(admin, rep_a):
    # given: a deal passed through ヒアリング and moved on
    deal = DealFactory(owner=rep_a)
    deal_change_stage(deal=deal, stage=stage_named("ヒアリング"), by=rep_a)
    deal_change_stage(deal=deal, stage=stage_named("提案"), by=rep_a)
    # when
    with pytest.raises(ValidationError) as exc:
        stage_delete(stage=stage_named("ヒアリング"), by=admin)
    # then
    assert "商談の履歴に残っている" in exc.value.message_dict["stage"][0]


def test_an_unused_stage_is_deleted(admin):
    # when
    stage_delete(stage=stage_named("ヒアリング"), by=admin)
    # then
    assert "ヒアリング" not in names(default_pipeline())


def test_the_won_stage_cannot_be_deleted(admin):
    # when
    with pytest.raises(ValidationError):
        stage_delete(stage=stage_named("受注"), by=admin)
    # then
    assert "受注" in names(default_pipeline())


def test_reorder(admin):
    # given
    pipeline = PipelineFactory(name="更新営業")
    ids = list(pipeline.stages.order_by("sort_order").values_list("pk", flat=True))
    # when
    stage_reorder(pipeline=pipeline, by=admin, stage_ids=[ids[1], ids[0], *ids[2:]])
    # then
    assert names(pipeline) == ["提案", "リード", "交渉", "受注", "失注"]
    with pytest.raises(ValidationError):
        stage_reorder(pipeline=pipeline, by=admin, stage_ids=ids[:2])


# Pages


def test_settings_pages_are_for_administrators(client, rep_a):
    # given
    client.force_login(rep_a)
    # when / then
    assert client.get("/sales/pipelines/").status_code == 403
    assert client.get(f"/sales/pipelines/{default_pipeline().pk}/").status_code == 403


def test_admin_creates_a_pipeline_and_adds_a_stage_on_the_pages(client, admin):
    # given
    client.force_login(admin)
    # when
    created = client.post("/sales/pipelines/", {"name": "代理店営業", "stale_days": "21", "is_active": "on"})
    pipeline = Pipeline.objects.get(name="代理店営業")
    added = client.post(
        f"/sales/pipelines/{pipeline.pk}/",
        {"action": "add_stage", "new-name": "商談化", "new-probability": "30", "new-is_active": "on"},
    )
    # then
    assert created.status_code == 302 and added.status_code == 302
    assert names(pipeline) == ["商談化", "受注", "失注"]


def test_moving_a_stage_up_on_the_page(client, admin):
    # given
    client.force_login(admin)
    pipeline = default_pipeline()
    # when
    client.post(f"/sales/pipelines/{pipeline.pk}/", {"action": "up", "stage": stage_named("提案").pk})
    # then
    assert names(pipeline)[:3] == ["初回接触", "提案", "ヒアリング"]


def test_deleting_a_stage_with_deals_on_the_page_shows_the_reason(client, admin, rep_a):
    # given
    DealFactory(owner=rep_a, stage=stage_named("提案"))
    client.force_login(admin)
    # when
    response = client.post(
        f"/sales/pipelines/{default_pipeline().pk}/",
        {"action": "delete_stage", "stage": stage_named("提案").pk},
        follow=True,
    )
    # then
    assert "ステージ「提案」には商談が1件あるため削除できません。" in response.content.decode()
    assert "提案" in names(default_pipeline())


def test_settings_page_in_english(client, admin):
    # given
    admin.language = "en"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    # when
    html = client.get(f"/sales/pipelines/{default_pipeline().pk}/").content.decode()
    # then
    assert "Pipeline settings" in html and "Add a stage" in html
