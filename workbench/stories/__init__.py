"""Stories across outlets: the same event as each camp reported it.

* :mod:`~workbench.stories.clustering` -- :func:`find_stories`: articles of different outlets
  about the same event, within a few days (TF-IDF cosine, cohesive connected components);
* :mod:`~workbench.stories.coverage` -- :func:`coverage`: stories one side covered and the other
  did not (figure: :func:`workbench.plots.stories.coverage_timeline_plot`);
* :mod:`~workbench.stories.framing` -- :func:`paired_keyness`: keyness on the stories both sides
  covered, beside the ordinary keyness; :func:`story_side_by_side`: one story as each side told it;
* :mod:`~workbench.stories.reuse` -- :func:`find_reuse`: text one outlet reprints from another (wire
  copy), per outlet pair, and the copies flagged so they do not count twice.
"""
from .clustering import Stories, find_stories
from .coverage import coverage, coverage_counts, one_sided
from .framing import StorySides, paired_keyness, paired_stories, story_side_by_side
from .reuse import find_reuse, flag_reuse, reuse_by_outlet_pair

__all__ = ["Stories", "StorySides", "coverage", "coverage_counts", "find_reuse", "find_stories", "flag_reuse",
           "one_sided", "paired_keyness", "paired_stories", "reuse_by_outlet_pair", "story_side_by_side"]
