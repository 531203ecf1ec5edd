-- grain: one row per county and period
-- Ready for the national evaluation when every line of the four parts and every veto is met;
-- local targets (地方目标) are shown in the scorecard but do not decide the verdict.
SELECT county_code,
       period,
       CASE WHEN SUM(CASE WHEN status <> 'met' THEN 1 ELSE 0 END) = 0 THEN TRUE ELSE FALSE END AS ready,
       SUM(CASE WHEN status = 'met' THEN 1 ELSE 0 END) AS n_met,
       SUM(CASE WHEN status = 'unmet' THEN 1 ELSE 0 END) AS n_unmet,
       SUM(CASE WHEN status = 'not_reported' THEN 1 ELSE 0 END) AS n_not_reported,
       SUM(CASE WHEN status = 'evidence_pending' THEN 1 ELSE 0 END) AS n_evidence_pending,
       SUM(CASE WHEN part = '否决' AND status = 'unmet' THEN 1 ELSE 0 END) AS n_vetoes,
       STRING_AGG(
           CASE WHEN status <> 'met' THEN
               indicator_code
               || CASE WHEN item <> '' THEN '（' || item || '）' ELSE '' END
               || CASE section WHEN 'primary' THEN '·小学' WHEN 'junior' THEN '·初中' ELSE '' END
               || ' '
               || CASE status WHEN 'unmet' THEN '未达标' WHEN 'not_reported' THEN '未报告' ELSE '待审核' END
           END,
           '；' ORDER BY part, indicator_code, section, item
       ) AS reasons
FROM core.fct_county_scorecard
WHERE part <> '地方目标'
GROUP BY county_code, period
