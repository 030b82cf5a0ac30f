"""Study plans: a syllabus the cohort works through together, unit (week) by unit."""
