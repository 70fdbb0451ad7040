"""Rest protection (issue 20): a team may offer a person's next night on call to the team after
a night with N or more sleep-hours pages (Team.rest_after_sleep_pages), and tell its manager when
someone has been woken on K of the last 7 nights (Team.rest_notice_nights). Both off by default.

- nights.py: PURE, the nights that woke someone and their next night on call;
- offers.py, notices.py: the writes, each once (a unique row is the record);
- protection.py: the check of one person (queued on commit of each sent sleep-hours page) and
  the sweep every 15 minutes that repeats it for everyone woken lately, so a lost ring loses
  nothing.
"""
