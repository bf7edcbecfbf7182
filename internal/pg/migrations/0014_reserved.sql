-- Number 14 is the planner's (issue branch "planner"). This empty
-- placeholder only keeps the numbering contiguous on the golive branch;
-- delete it when the planner's 0014 lands.
SELECT 1;
