"""Insights: MTTA and MTTR, incidents and pages by week, pages by hour and by interruption,
acknowledgements by channel and the noisiest alerts, per team, service or person and period.

- names.py   PURE: the alert name an incident is grouped by
- stats.py   PURE: percentiles, buckets and the period asked for
- svg.py     PURE: the charts, drawn as SVG
- rollup.py  the rollup of closed 15-minute buckets (incidents.models.insights)
- queries.py the reads: rollup before the watermark, raw rows after it
"""
