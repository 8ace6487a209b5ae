"""Sales (営業支援) data: one module per area, all re-exported here as ``daifuku.sales.models``."""

from daifuku.sales.models.contracts import Contract, ContractAlert, ContractLine, ContractStatus, RenewalType
from daifuku.sales.models.deals import Competitor, Deal, DealCompetitor, DealLine, DealStageChange, LostReason
from daifuku.sales.models.forecast import PipelineSnapshot, SalesTarget
from daifuku.sales.models.leads import (
    AssignmentMethod,
    DisqualifyReason,
    Lead,
    LeadAssignmentRule,
    LeadSource,
    LeadStatus,
    WebLeadForm,
)
from daifuku.sales.models.pipeline import Pipeline, Stage
from daifuku.sales.models.quotes import Quote, QuoteLine, QuoteStatus
from daifuku.sales.models.totals import DealTotal

__all__ = [
    "AssignmentMethod", "Competitor", "Contract", "ContractAlert", "ContractLine", "ContractStatus", "Deal",
    "DealCompetitor", "DealLine", "DealStageChange", "DealTotal", "DisqualifyReason", "Lead",
    "LeadAssignmentRule", "LeadSource", "LeadStatus", "LostReason", "Pipeline", "PipelineSnapshot", "Quote",
    "QuoteLine", "QuoteStatus", "RenewalType", "SalesTarget", "Stage", "WebLeadForm",
]  # fmt: skip
