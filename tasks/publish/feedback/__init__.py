"""What a school receives (its own workbook, problem cells marked, with a 问题清单) and the bureau's 报送情况."""

from tasks.publish.feedback.issues import ISSUE_HEADERS, ISSUES_SHEET
from tasks.publish.feedback.run import write_feedback
from tasks.publish.feedback.school import school_feedback

__all__ = ["ISSUES_SHEET", "ISSUE_HEADERS", "school_feedback", "write_feedback"]
