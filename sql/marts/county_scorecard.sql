-- grain: one row per period and scorecard line (indicator, measure, section, item)
-- status: met | unmet | not_reported | evidence_pending; value is NULL unless reported or computed.
SELECT period,
       part,
       indicator_code,
       scope,
       value,
       threshold,
       meets,
       status,
       name_zh,
       kind,
       measure,
       section,
       item,
       comparator,
       unit,
       n_schools,
       n_unmet,
       note,
       policy,
       source,
       rule_valid_from
FROM core.fct_county_scorecard
