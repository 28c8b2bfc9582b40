"""Stories across outlets: the same event as each camp reported it.

* :mod:`~workbench.stories.clustering` -- :func:`find_stories`: articles of different outlets
  about the same event, within a few days (TF-IDF cosine, cohesive connected components);
* :mod:`~workbench.stories.coverage` -- :func:`coverage`: stories one side covered and the other
  did not (figure: :func:`workbench.plots.stories.coverage_timeline_plot`);
* :mod:`~workbench.stories.framing` -- :func:`paired_keyness`: keyness on the stories both sides
  covered, beside the ordinary keyness; :func:`story_side_by_side`: one story as each side told it.
"""
from .clustering import Stories, find_stories
from .coverage import coverage, coverage_counts, one_sided
from .framing import StorySides, paired_keyness, paired_stories, story_side_by_side

__all__ = ["Stories", "StorySides", "coverage", "coverage_counts", "find_stories", "one_sided", "paired_keyness",
           "paired_stories", "story_side_by_side"]
