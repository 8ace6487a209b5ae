"""Sending a quote: a real SMTP server on loopback receives the mail with the issued PDF attached."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError

from daifuku.activities.models import Activity, TimelineEntry
from daifuku.core.models import AuditEntry
from daifuku.core.services import profile_get
from daifuku.sales.services import quotes as services
from tests.sales.factories import DealFactory

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Issued PDFs are written under a temporary MEDIA_ROOT, not the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.DEFAULT_FROM_EMAIL = "sales@daifuku.example.jp"
    yield inbox
    controller.stop()


@pytest.fixture
def issued(rep_a, company_of_rep_a, contact_of_rep_a):
    profile = profile_get()
    profile.name = "大福商事株式会社"
    profile.registration_number = "T7123456789012"
    profile.save()
    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    deal.contacts.add(contact_of_rep_a)
    quote = services.quote_create_from_deal(
        deal=deal, by=rep_a, data={"lines": [{"description": "保守", "unit_price": "105"}]}
    )
    return services.quote_issue(quote=quote, by=rep_a)


def test_send_mails_the_stored_pdf_and_logs_it_on_the_deal(smtp, issued, rep_a, company_of_rep_a):
    # given
    stored = issued.pdf.read()
    # when
    quote = services.quote_send(
        quote=issued,
        by=rep_a,
        to="tanaka@yamada.example.jp",
        cc="boss@yamada.example.jp",
        subject=f"御見積書 {issued.number} のご送付",
        body="田中様\n\nお世話になっております。御見積書をお送りします。",
    )
    # then: the server received one message to both addresses, with the PDF byte for byte
    assert len(smtp.messages) == 1
    recipients, content = smtp.messages[0]
    assert sorted(recipients) == ["boss@yamada.example.jp", "tanaka@yamada.example.jp"]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert str(message["Subject"]) == f"御見積書 {issued.number} のご送付"
    assert str(message["From"]) == "sales@daifuku.example.jp"
    assert str(message["Reply-To"]) == rep_a.email
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "御見積書をお送りします。" in body
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        (f"{issued.number}.pdf", "application/pdf")
    ]
    assert attachments[0].get_content() == stored
    # the quote is marked sent, audited, and the mail is an activity on the deal and the company timeline
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert quote.sent_at is not None
    assert AuditEntry.objects.get(object_id=quote.pk, object_type="sales.quote", action="send").note == (
        "tanaka@yamada.example.jp, boss@yamada.example.jp"
    )
    activity = Activity.objects.get()
    assert (activity.kind, activity.subject, activity.related_type, activity.related_id) == (
        "email",
        f"見積書送付 {issued.number}",
        "sales.deal",
        issued.deal_id,
    )
    assert activity.company_id == company_of_rep_a.pk
    assert activity.body.startswith(
        f"宛先: tanaka@yamada.example.jp\nCC: boss@yamada.example.jp\n添付: {issued.number}.pdf\n\n田中様"
    )
    assert TimelineEntry.objects.filter(
        company_id=company_of_rep_a.pk, title=f"見積書送付 {issued.number}"
    ).exists()


def test_a_draft_cannot_be_sent(smtp, rep_a, company_of_rep_a):
    # given
    deal = DealFactory(owner=rep_a, company=company_of_rep_a)
    draft = services.quote_create_from_deal(
        deal=deal, by=rep_a, data={"lines": [{"description": "保守", "unit_price": "1"}]}
    )
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_send(quote=draft, by=rep_a, to="a@example.jp", subject="見積", body="")
    # then
    assert info.value.message_dict == {"__all__": ["送付できるのは発行済みの見積だけです。"]}
    assert smtp.messages == []


def test_bad_address_is_named_and_nothing_is_sent(smtp, issued, rep_a):
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_send(quote=issued, by=rep_a, to="tanaka@", subject="見積", body="")
    # then
    assert info.value.message_dict == {"to": ["メールアドレスの形式が正しくありません: tanaka@"]}
    issued.refresh_from_db()
    assert issued.status == "issued"
    assert smtp.messages == []
    assert not Activity.objects.exists()


def test_unreachable_mail_server_leaves_the_quote_unsent(settings, issued, rep_a):
    # given: nothing listens on this port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_TIMEOUT = 5
    # when
    with pytest.raises(ValidationError) as info:
        services.quote_send(quote=issued, by=rep_a, to="tanaka@yamada.example.jp", subject="見積", body="")
    # then
    assert info.value.message_dict["to"][0].startswith("メールを送信できませんでした: ")
    issued.refresh_from_db()
    assert (issued.status, issued.sent_at) == ("issued", None)
    assert not Activity.objects.exists()
