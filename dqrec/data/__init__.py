"""Real shop data: read files safely, load and clean UCI Online Retail or another shop's event
log, and turn events into reinforcement-learning transitions.

Pipeline (each step a function the book shows on its own)::

    raw = load_online_retail()                       # typed table, DataError on bad input
    clean, report = clean_online_retail(raw)         # ordered rules, every removed row counted
    train, test = time_split(clean, "2011-10-01")    # no information from the future
    episodes = build_episodes(train)                 # one row per purchased item, in time order
    vocabulary = ItemVocabulary.from_events(episodes, top_n=500)
    t = to_transitions(episodes, vocabulary, history_len=10)   # obs, action, reward, ...

One module per job (every name below is importable from ``dqrec.data``):

* ``files``: reading text tables; ``DataError`` names the file, the column and the first bad line;
* ``retail``: UCI Online Retail (loading, counted cleaning rules, canonical events);
* ``eventlog``: another shop's log from a column mapping (``EventLogSpec``, ``load_event_log``);
* ``episodes``: episodes, the ``ItemVocabulary`` (the action space: top-N items + "other"),
  session features and transitions, the time split;
* ``scores``: popularity and co-purchase scores (co-occurrence within a user's episode when
  the log has no baskets), the two non-learning baselines;
* ``fetch``: ``fetch_online_retail()`` downloads, checks and caches the official data once;
* ``sample``: a 4% real sample committed with the package, for tests and quick runs.
"""

from dqrec.data.episodes import (
    FEEDBACK_CODES,
    LOG_MAX_STEPS,
    ItemVocabulary,
    Transitions,
    build_episodes,
    session_features,
    time_split,
    to_transitions,
)
from dqrec.data.eventlog import MISSING_IDS, EventLogSpec, LoadReport, load_event_log
from dqrec.data.fetch import OFFICIAL_URL, fetch_online_retail
from dqrec.data.files import DataError, parse_number, parse_time, read_text_table
from dqrec.data.paths import DEFAULT_RELATIVE_PATH, data_home, default_data_path
from dqrec.data.retail import (
    CLEANING_RULES,
    PRODUCT_CODE,
    RETAIL_COLUMNS,
    CleaningReport,
    clean_online_retail,
    load_online_retail,
    retail_events,
)
from dqrec.data.sample import sample_data_path
from dqrec.data.scores import copurchase_scores, popularity_scores

__all__ = [
    "CLEANING_RULES",
    "DEFAULT_RELATIVE_PATH",
    "FEEDBACK_CODES",
    "LOG_MAX_STEPS",
    "MISSING_IDS",
    "OFFICIAL_URL",
    "PRODUCT_CODE",
    "RETAIL_COLUMNS",
    "CleaningReport",
    "DataError",
    "EventLogSpec",
    "ItemVocabulary",
    "LoadReport",
    "Transitions",
    "build_episodes",
    "clean_online_retail",
    "copurchase_scores",
    "data_home",
    "default_data_path",
    "fetch_online_retail",
    "load_event_log",
    "load_online_retail",
    "parse_number",
    "parse_time",
    "popularity_scores",
    "read_text_table",
    "retail_events",
    "sample_data_path",
    "session_features",
    "time_split",
    "to_transitions",
]
