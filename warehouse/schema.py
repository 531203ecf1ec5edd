"""The warehouse tables (SQLAlchemy Core): schemas raw, core, mart, audit; a Kimball star.

Types are chosen so the same DDL and SQL run on DuckDB and PostgreSQL: measures are
DOUBLE PRECISION (never integer division), periods are 'YYYY-MM' text keys with a date in
dim_period, and no table relies on SERIAL (DuckDB has none).
"""

from __future__ import annotations

from sqlalchemy import (
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
    PrimaryKeyConstraint("period", "file_id"),
    schema="audit",
)

validation_issue = Table(
    "validation_issue",
    metadata,
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

dim_threshold = Table(
    "dim_threshold",
    metadata,
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
