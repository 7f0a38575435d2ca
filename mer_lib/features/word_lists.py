"""English word lists of the text features: closed-class (function) words and English markers.

The open-class filter of :mod:`mer_lib.features.text` removes :data:`CLOSED_CLASS` before
asking WordNet; synonym replacement (:mod:`mer_lib.features.wordnet`) never replaces them;
:data:`ENGLISH_MARKERS` and :data:`ENGLISH_CLITICS` tell English texts from others (see
:mod:`mer_lib.features.text`'s docstring for how and why).

Notebook: ``01_jeon2017_end_to_end_polarity``, ``05_mmer_analysis_unimodal_fusion``.
"""

from __future__ import annotations

#: English closed-class words (function words) removed by the open-class filter.
CLOSED_CLASS = frozenset("""
a an the this that these those each every either neither some any no all both half such what
which whatever whichever another other own several few many much more most less least enough
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
it its itself we us our ours ourselves they them their theirs themselves who whom whose
whoever whomever one ones someone somebody something anyone anybody anything everyone
everybody everything nobody nothing none
about above across after against along amid among around as at before behind below beneath
beside besides between beyond by despite down during except for from in inside into like
near of off on onto out outside over past per since than through throughout till to toward
towards under underneath unlike until up upon via with within without
and but or nor so yet because although though while whereas if unless whether once lest
can could may might must shall should will would ought
two three four five six seven eight nine ten hundred thousand
oh ooh ah ahh uh hey yeah yea ya na la da whoa woah mmm hmm huh wow
""".split())


#: Vocables and words of the closed-class list that are common words of other European languages
#: too: no evidence that a text is English.
NOT_DISTINCTIVE = frozenset("""
a me no so as in on per via
oh ooh ah ahh uh hey yeah yea ya na la da whoa woah mmm hmm huh wow
""".split())
#: Distinctively English function words (see the module docstring).
ENGLISH_MARKERS = CLOSED_CLASS - NOT_DISTINCTIVE
#: Endings of English contractions ("don't", "you're", "i'm", "it's").
ENGLISH_CLITICS = ("n't", "'re", "'ve", "'ll", "'m", "'d", "'s")
