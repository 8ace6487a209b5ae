"""Forms of the import pages: upload, column mapping (built from the target's fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daifuku.customers.forms import StyledForm
from daifuku.imports import targets
from daifuku.imports.models import DedupMode, ImportJob

ENCODING_CHOICES = [
    ("", _("自動判定")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8（BOM付き）")),
    ("cp932", _("Shift_JIS（CP932）")),
]
DELIMITER_CHOICES = [("", _("自動判定")), (",", _("カンマ")), ("tab", _("タブ"))]


class UploadForm(StyledForm):
    target = forms.ChoiceField(label=_("取込先"))
    file = forms.FileField(label=_("ファイル（CSV / xlsx）"))
    encoding = forms.ChoiceField(label=_("文字コード"), choices=ENCODING_CHOICES, required=False)
    delimiter = forms.ChoiceField(label=_("区切り文字"), choices=DELIMITER_CHOICES, required=False)
    sheet = forms.CharField(label=_("シート名（xlsx）"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(t.key, t.label) for t in targets.all_targets()]

    def clean_delimiter(self) -> str:
        value = self.cleaned_data.get("delimiter") or ""
        return "\t" if value == "tab" else value


class MappingForm(StyledForm):
    """One select per file column (field or 取り込まない), value mappings for choice fields, dedup mode."""

    dedup = forms.ChoiceField(label=_("重複の扱い"), choices=DedupMode.choices)
    save_as = forms.CharField(label=_("この対応を保存（名前）"), required=False, max_length=100)

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.target = targets.get(job.target)
        choices = [("", _("（取り込まない）"))] + [(s.name, s.label) for s in self.target.fields]
        for index, header in enumerate(job.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or f"#{index + 1}",
                choices=choices,
                required=False,
                initial=job.columns.get(str(index), ""),
            )
        for spec in self.target.fields:
            if spec.choices:
                current = job.values.get(spec.name, {})
                self.fields[f"values_{spec.name}"] = forms.CharField(
                    label=spec.label,
                    required=False,
                    widget=forms.Textarea(
                        attrs={"rows": 2, "placeholder": _("ファイルの値=登録する値（1行に1つ）")}
                    ),
                    initial="\n".join(f"{k}={v}" for k, v in current.items()),
                    help_text=", ".join(f"{v}={label}" for v, label in spec.choices),
                )
        self.fields["dedup"].initial = job.dedup
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css

    def column_fields(self) -> list[Any]:
        return [self[f"col_{i}"] for i in range(len(self.job.headers))]

    def value_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("values_")]

    def columns(self) -> dict[str, str]:
        return {
            str(i): self.cleaned_data.get(f"col_{i}") or ""
            for i in range(len(self.job.headers))
            if self.cleaned_data.get(f"col_{i}")
        }

    def values(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for name, value in self.cleaned_data.items():
            if not name.startswith("values_") or not value:
                continue
            pairs = {}
            for line in value.splitlines():
                if "=" in line:
                    raw, _sep, stored = line.partition("=")
                    if raw.strip():
                        pairs[raw.strip()] = stored.strip()
            result[name.removeprefix("values_")] = pairs
        return result
