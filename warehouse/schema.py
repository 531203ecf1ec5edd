"""The warehouse tables (SQLAlchemy Core): schemas raw, core, mart, audit; a Kimball star.

Types are chosen so the same DDL and SQL run on DuckDB and PostgreSQL: measures are
DOUBLE PRECISION (never integer division), periods are 'YYYY-MM' text keys with a date in
dim_period, and no table relies on SERIAL (DuckDB has none).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

SCHEMAS = ("raw", "core", "mart", "audit")


def _county_code() -> Column:
    """县级行政区划代码: several counties share one warehouse, so it keys every period slice."""
    return Column("county_code", String(6), nullable=False)


def _lineage() -> list[Column]:
    """Every fact row knows its source: file hash, sheet, row and load time."""
    return [
        Column("file_id", String(64), nullable=False),
        Column("source_sheet", Text),
        Column("source_row", Integer),
        Column("loaded_at", DateTime, nullable=False),
    ]


# ---------------------------------------------------------------- audit
ingest_file = Table(
    "ingest_file",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("archive_path", Text, nullable=False),
    Column("size_bytes", Integer),
    Column("received_at", DateTime, nullable=False),
    Column("school_code", String(10)),
    Column("submitted_on", Date),
    Column("status", String(16), nullable=False),  # loaded | rejected | superseded
    Column("n_errors", Integer, nullable=False),
    Column("n_violations", Integer, nullable=False),
    Column("n_warnings", Integer, nullable=False),
    Column("run_id", String(36)),
    Column("processed_at", DateTime, nullable=False),
    PrimaryKeyConstraint("county_code", "period", "file_id"),
    schema="audit",
)

# Every file a run received, recorded before it is read (tasks/ingest/received.py): a run that dies while
# reading still leaves its files on record, and the next run finds those it never decided (no ingest_file
# row). status: received (by run_id; the outcome is then ingest_file's) | interrupted (run_id died first).
received_file = Table(
    "received_file",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("archive_path", Text, nullable=False),
    Column("size_bytes", BigInteger),
    Column("received_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    PrimaryKeyConstraint("county_code", "period", "file_id"),
    schema="audit",
)

validation_issue = Table(
    "validation_issue",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("school_code", String(10)),
    Column("section", String(8)),
    Column("sheet", Text),
    Column("cell", Text),
    Column("rule", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("value", Text),
    Column("message", Text, nullable=False),
    Column("run_id", String(36)),
    Column("created_at", DateTime, nullable=False),
    schema="audit",
)

run_log = Table(
    "run",
    metadata,
    Column("run_id", String(36), primary_key=True),
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("files_received", Integer),
    Column("files_loaded", Integer),
    Column("files_rejected", Integer),
    Column("settings", Text),
    schema="audit",
)

# ---------------------------------------------------------------- raw (the loaded rows, as read)
raw_school_info = Table(
    "school_info",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("school_name", Text),
    Column("school_type", Text),
    Column("township", Text),
    Column("urban_rural", Text),
    Column("is_boarding", Text),
    Column("ownership", Text),
    Column("is_teaching_point", Text),
    Column("parent_school_code", String(10)),
    Column("founded_year", Integer),
    Column("senior_students", Double),
    Column("reporter", Text),
    Column("submitted_on", Date),
    *_lineage(),
    schema="raw",
)

raw_facility = Table(
    "facility",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),  # primary | junior | shared
    Column("teaching_aux_area_m2", Double),
    Column("indoor_sports_area_m2", Double),
    Column("sports_ground_area_m2", Double),
    Column("equipment_value_yuan", Double),
    Column("multimedia_classrooms", Double),
    *_lineage(),
    schema="raw",
)

raw_room = Table(
    "special_room",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("room_type", Text),
    Column("room_name", Text),
    Column("area_m2", Double),
    *_lineage(),
    schema="raw",
)

raw_quality = Table(
    "quality",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("fitness_tested", Double),
    Column("fitness_passed", Double),
    Column("fitness_good", Double),
    Column("vision_screened", Double),
    Column("myopic", Double),
    *_lineage(),
    schema="raw",
)

# ---------------------------------------------------------------- core: dimensions
dim_school = Table(
    "dim_school",
    metadata,
    Column("school_sk", String(20), primary_key=True),  # school_code + '@' + valid_from period
    Column("school_code", String(10), nullable=False),
    Column("school_name", Text, nullable=False),
    Column("school_type", Text, nullable=False),
    Column("township", Text),
    Column("urban_rural", Text),
    Column("is_boarding", Boolean),
    Column("ownership", Text),
    Column("is_teaching_point", Boolean, nullable=False),
    Column("parent_school_code", String(10)),
    Column("founded_year", Integer),
    Column("county_code", String(6), nullable=False),  # a move to another county is a new version
    Column("valid_from", String(7), nullable=False),  # first period of this version
    Column("valid_to", String(7)),  # first period of the next version; NULL = current
    Column("is_current", Boolean, nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    schema="core",
)

dim_period = Table(
    "dim_period",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("period_start", Date, nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    schema="core",
)

dim_section = Table(
    "dim_section",
    metadata,
    Column("section", String(8), primary_key=True),
    Column("section_zh", Text, nullable=False),
    schema="core",
)

dim_indicator = Table(
    "dim_indicator",
    metadata,
    Column("indicator_code", String(16), primary_key=True),
    Column("part", Text, nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("unit", Text),
    schema="core",
)

# Per county: each county's runs may select other local policies (JUNHENG_POLICY_OVERLAYS).
dim_threshold = Table(
    "dim_threshold",
    metadata,
    _county_code(),
    Column("indicator_code", String(16), nullable=False),
    Column("measure", String(8), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("section", String(8), nullable=False),
    Column("school_types", Text),
    Column("comparator", String(2), nullable=False),
    Column("value", Double, nullable=False),
    Column("unit", Text),
    Column("source", Text),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    schema="core",
)

# ---------------------------------------------------------------- core: facts
# grain: one row per school, section (primary | junior) and period; shared resources apportioned.
fct_school_section = Table(
    "fct_school_section",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("students", Double, nullable=False),
    Column("classes", Integer, nullable=False),
    Column("teachers", Double),
    Column("teachers_above_required_degree", Double),
    Column("backbone_teachers", Double),
    Column("pe_teachers", Double),
    Column("music_teachers", Double),
    Column("art_teachers", Double),
    Column("certified_teachers", Double),
    Column("rotation_eligible_teachers", Double),
    Column("rotated_teachers", Double),
    Column("rotated_backbone_teachers", Double),
    Column("trained_360h_teachers", Double),
    Column("other_art_teachers", Double),
    Column("r3_teachers", Double),  # R3 numerator under the run's r3_art_teachers choice (tasks/units.py)
    Column("teaching_aux_area_m2", Double),
    Column("indoor_sports_area_m2", Double),
    Column("sports_ground_area_m2", Double),
    Column("equipment_value_yuan", Double),
    Column("multimedia_classrooms", Double),
    Column("shared_share", Double, nullable=False),  # the share of the 共用 row given to this section
    Column("senior_students", Double),
    Column("is_unit", Boolean, nullable=False),  # evaluated as a school unit (R1–R7)
    Column("in_cv", Boolean, nullable=False),  # counted in the county CV
    Column("scope_note", Text),
    *_lineage(),
    schema="core",
)

# grain: one row per class (school, period, section, grade, class name, source row).
fct_class = Table(
    "fct_class",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("grade", Text),
    Column("class_name", Text),
    Column("students", Double, nullable=False),
    Column("migrant_students", Double),
    Column("disabled_students", Double),
    Column("students_cell", Text),  # A1 cell of 学生数, so class-size findings point at it
    *_lineage(),
    schema="core",
)

# grain: one row per school unit (school, section), indicator and period.
fct_school_indicator = Table(
    "fct_school_indicator",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("students", Double, nullable=False),
    Column("resource", Double),  # the numerator: teachers, m², 元, rooms
    Column("value", Double),
    Column("threshold", Double),
    Column("floor", Double),
    Column("meets", Boolean),
    Column("above_floor", Boolean),
    Column("in_cv", Boolean, nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per school unit (school, section) and period.
fct_school_compliance = Table(
    "fct_school_compliance",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicators_met", Integer, nullable=False),
    Column("indicators_reported", Integer, nullable=False),
    Column("indicators_total", Integer, nullable=False),
    Column("passes", Boolean),
    Column("file_id", String(64), nullable=False),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per county, period, section and indicator.
fct_county_indicator = Table(
    "fct_county_indicator",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("n_units", Integer, nullable=False),
    Column("students", Double, nullable=False),
    Column("mean", Double),
    Column("cv_weighted", Double),
    Column("cv_unweighted", Double),
    Column("cv_method", String(10), nullable=False),
    Column("cv", Double),
    Column("cv_limit", Double),
    Column("meets", Boolean),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# Facts replaced per (school, period) slice on load.
SCHOOL_SLICE_TABLES = (raw_school_info, raw_facility, raw_room, raw_quality, fct_school_section, fct_class)

# ---------------------------------------------------------------- roster, missing returns, alerts (issue 5)
# The bureau's register of schools expected to report, per county; a county's register is replaced as a
# whole by `junheng roster import`.
roster = Table(
    "roster",
    metadata,
    _county_code(),
    Column("school_code", String(10), nullable=False),
    Column("school_name", Text, nullable=False),
    Column("school_type", Text),
    Column("township", Text),
    Column("urban_rural", Text),
    Column("ownership", Text),
    Column("is_teaching_point", Boolean),
    Column("parent_school_code", String(10)),
    Column("source_file", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("imported_at", DateTime, nullable=False),
    PrimaryKeyConstraint("county_code", "school_code"),
    schema="core",
)

# grain: one row per roster school without a loaded return once the period's deadline has passed;
# the period slice is recomputed on every run.
missing_return = Table(
    "missing_return",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("school_name", Text),
    Column("deadline", Date, nullable=False),
    Column("detected_at", DateTime, nullable=False),
    PrimaryKeyConstraint("county_code", "period", "school_code"),
    schema="audit",
)

# One row per alert key (county, period, scope, school, section, rule); state open | changed | resolved.
alert = Table(
    "alert",
    metadata,
    Column("alert_key", String(64), primary_key=True),  # sha256 of the key fields
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("scope", String(8), nullable=False),  # school | county
    Column("school_code", String(10)),
    Column("section", String(8)),
    Column("rule", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("value", Text),
    Column("threshold", Text),
    Column("message", Text, nullable=False),
    Column("state", String(10), nullable=False),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    Column("run_id", String(36)),
    schema="audit",
)

# The history of every alert: one row per state change.
alert_event = Table(
    "alert_event",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("alert_key", String(64), nullable=False),
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("state", String(10), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("value", Text),
    Column("threshold", Text),
    Column("run_id", String(36)),
    Column("occurred_at", DateTime, nullable=False),
    schema="audit",
)

# Notifications to send, one per channel; pending until the channel accepts them (never dropped).
outbox = Table(
    "outbox",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("channel", String(10), nullable=False),  # webhook | email
    Column("kind", String(10), nullable=False),  # alert | digest
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("event_id", String(36)),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON
    Column("status", String(10), nullable=False),  # pending | sent
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("run_id", String(36)),
    schema="audit",
)

# ---------------------------------------------------------------- core: analytics (issue 6)
# grain: one row per subject (school unit, or the county CV when school_code is NULL), section,
# indicator and period: the change from the previous period the subject was reported in.
fct_variance = Table(
    "fct_variance",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("level", String(12), nullable=False),  # school_unit | county
    Column("school_code", String(10)),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("measure", String(8), nullable=False),  # value (unit's indicator) | cv (county CV)
    Column("value", Double),
    Column("prev_period", String(7)),
    Column("prev_value", Double),
    Column("change_abs", Double),
    Column("change_pct", Double),  # relative change (0.25 = +25 %); NULL when prev_value is 0 or missing
    Column("change_bound", Double, nullable=False),
    Column("flagged", Boolean),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per school unit, missed R indicator (meets = FALSE) and period.
fct_remediation = Table(
    "fct_remediation",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("students", Double, nullable=False),
    Column("resource", Double, nullable=False),
    Column("value", Double, nullable=False),
    Column("threshold", Double, nullable=False),
    Column("floor", Double, nullable=False),
    Column("per_students", Double, nullable=False),
    Column("resource_unit", Text, nullable=False),  # 人 | 平方米 | 元 | 间
    Column("need_to_threshold", Double, nullable=False),
    Column("need_to_floor", Double, nullable=False),
    Column("need_to_threshold_whole", Double, nullable=False),
    Column("need_to_floor_whole", Double, nullable=False),
    Column("below_floor", Boolean, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per outlier finding (school unit, indicator, method) and period.
fct_outlier = Table(
    "fct_outlier",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("method", String(16), nullable=False),  # cross_section | own_history
    Column("value", Double, nullable=False),
    Column("center", Double, nullable=False),  # median of the reference values
    Column("spread", Double),  # MAD, mean absolute deviation, or the change bound
    Column("spread_kind", String(8)),  # mad | meanad | bound
    Column("score", Double),  # modified z-score (cross_section)
    Column("band_low", Double),
    Column("band_high", Double),
    Column("n_ref", Integer, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per school unit in a county CV (section, indicator) and period.
fct_cv_contribution = Table(
    "fct_cv_contribution",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("students", Double, nullable=False),
    Column("value", Double, nullable=False),
    Column("weight_share", Double, nullable=False),
    Column("mean", Double),
    Column("cv", Double),
    Column("cv_limit", Double),
    Column("contribution_share", Double),
    Column("cv_contribution", Double),
    Column("cv_if_mean", Double),
    Column("cv_if_threshold", Double),
    Column("threshold", Double),
    Column("plan_step", Integer),
    Column("plan_target", Double),
    Column("plan_need", Double),
    Column("plan_cv_after", Double),
    Column("cv_method", String(10), nullable=False),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# ---------------------------------------------------------------- issue 4: county return and scorecard
# grain: one row per reported item of the loaded county return (县级指标) and period.
raw_county_return = Table(
    "county_return",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("county_name", Text),
    Column("item_code", String(32), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("measure", String(8), nullable=False),
    Column("section", String(8), nullable=False),
    Column("item", Text, nullable=False),
    Column("value_num", Double),  # NULL = not reported (evidence: not yet reviewed)
    Column("value_text", Text),
    Column("reviewer", Text),
    Column("reviewed_on", Date),
    Column("note", Text),
    Column("cell", Text),
    *_lineage(),
    schema="raw",
)

# grain: one row per school, G rule (indicator, measure, item, section) and period.
fct_school_rule = Table(
    "fct_school_rule",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("school_code", String(10), nullable=False),
    Column("section", String(8), nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("measure", String(8), nullable=False),
    Column("item", Text, nullable=False),
    Column("value", Double),
    Column("threshold", Double),
    Column("meets", Boolean),
    Column("note", Text),
    Column("file_id", String(64)),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per period and rule in force (indicator, measure, section, item), plus one row per
# indicator of the 31 and veto that has no rule in force or no data (status says which).
fct_county_scorecard = Table(
    "fct_county_scorecard",
    metadata,
    _county_code(),
    Column("period", String(7), nullable=False),
    Column("part", Text, nullable=False),
    Column("indicator_code", String(16), nullable=False),
    Column("name_zh", Text),
    Column("kind", String(10)),
    Column("measure", String(8)),
    Column("scope", String(16)),
    Column("section", String(8), nullable=False),
    Column("item", Text, nullable=False),
    Column("value", Double),
    Column("comparator", String(2)),
    Column("threshold", Double),
    Column("unit", Text),
    Column("meets", Boolean),
    Column("status", String(16), nullable=False),  # met | unmet | not_reported | evidence_pending
    Column("n_schools", Integer),
    Column("n_unmet", Integer),
    Column("note", Text),
    Column("policy", Text),
    Column("source", Text),
    Column("rule_valid_from", Date),
    Column("computed_at", DateTime, nullable=False),
    schema="core",
)

# grain: one row per city (city_code), county and period — each county of a city plan against its
# target year (issue 15). Filled per (city, period) slice by tasks.model.progress from the county marts.
fct_county_progress = Table(
    "fct_county_progress",
    metadata,
    Column("city_code", String(6), nullable=False),
    Column("city_name", Text, nullable=False),
    Column("plan", Text, nullable=False),
    Column("period", String(7), nullable=False),
    _county_code(),
    Column("county_name", Text, nullable=False),
    Column("target_year", Integer, nullable=False),
    Column("indicators_met", Integer),
    Column("indicators_total", Integer),
    Column("cv_met", Integer),
    Column("cv_total", Integer, nullable=False),
    Column("units_passing", Integer),
    Column("units_judged", Integer),
    Column("share_units_passing", Double),
    Column("verdict", String(8)),  # 达到 | 未达到 | NULL (no data for the period)
    Column("months_left", Integer, nullable=False),
    Column("trend", Integer),
    Column("trend_since", String(7)),
    Column("status", String(8), nullable=False),  # 已达到 | 按期推进 | 滞后 | 本期未报送
    Column("status_reason", Text, nullable=False),
    Column("unmet_items", Text),
    Column("computed_at", DateTime, nullable=False),
    PrimaryKeyConstraint("city_code", "county_code", "period"),
    schema="core",
)
