"""Corruption-risk self-assessments: questionnaires, scoring, the assessment's life,
the action plan, exports, charts and surveys."""
