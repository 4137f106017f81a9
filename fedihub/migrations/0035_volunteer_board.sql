-- Dispatch (fedihub/volunteers/board.py, assignments.py). An assignment remembers whether the
-- volunteer's fediverse handle could not be found when they were asked, so the board can say
-- "could not reach @x" (they were asked by e-mail only, or not at all).
ALTER TABLE volunteer_assignments ADD COLUMN handle_unreached INTEGER NOT NULL DEFAULT 0;
