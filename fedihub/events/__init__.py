"""Events and conference calls: schedules, participation, deferred count updates."""
