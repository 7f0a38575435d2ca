"""The papers' feature settings, as named parameter sets of the base extractors.

Each preset is one call of :func:`~mer_lib.features.registry.preset`: a base extractor and the
parameters the paper states (or, where it is silent, the choice written next to it).
``features.describe()`` lists them with all their parameters.
"""

from __future__ import annotations

from mer_lib.features.registry import preset

ZHAO2022 = "Zhao et al., ICME 2022, Sec. 3.1 (audio) / 3.2 (text); mel settings from Delbouys et al. 2018"
ZHAO2023 = "Zhao & Yoshii 2023, Sec. III (A: MIDI-like tokens; B: chromagram; C: MFCCs)"
EMOPIA = "Hung et al., EMOPIA, ISMIR 2021 (linear-regression baselines, as compared in Zhao & Yoshii 2023)"
JEON2017 = "Jeon et al., RecSys 2017, Sec. 2 (128 mels x 1024 frames of the first minute; 400 words)"
RAJAMANI2020 = "Rajamani et al., MediaEval 2020 (first 1400 frames of the MTG-Jamendo mel-spectrograms)"
MMER = "mmer_analysis project, 'Audio/Lyrics and Comments Augmentation' and 'Features'"

# --- audio -------------------------------------------------------------------------------------
# 40 mel bands, 1024-sample Hann window, no overlap (hop = window); 30 s clips at 22.05 kHz,
# so a fixed 646 frames.
preset("zhao2022_mel", "log_mel", reference=ZHAO2022, notebook="zhao2022",
       sr=22050, excerpt="first", seconds=30.0, n_mels=40, n_fft=1024, hop_length=1024,
       window="hann", n_frames=646)
# The paper gives only "128 mels x 1024 time slots = one minute": the hop is chosen so that
# 1024 frames span 60 s at 22.05 kHz (60 x 22050 / 1024 ≈ 1292 samples, 58.6 ms). A shorter
# clip is padded with its own mean frame, not the -100 dB floor, which the network's input batch
# norm over the bands would otherwise fold into its statistics.
preset("jeon2017_mel", "log_mel", reference=JEON2017, notebook="jeon2017",
       sr=22050, excerpt="first", seconds=60.0, n_mels=128, n_fft=2048, hop_length=1292,
       n_frames=1024, pad="mean")
# The MTG-Jamendo baseline mel-spectrograms (the dataset's scripts/melspectrograms.py):
# 12 kHz, 512-sample Hann frames, hop 256, 96 Slaney mel bands, power in dB; the first 1400
# frames are 29.9 s.
preset("rajamani2020_mel", "log_mel", reference=RAJAMANI2020, notebook="rajamani2020",
       sr=12000, excerpt="first", seconds=30.0, n_mels=96, n_fft=512, hop_length=256,
       n_frames=1400)
# 20 MFCCs of 30 ms windows (661 samples, no overlap) of a 45 s excerpt at 22.05 kHz
# (random 73 s crop, first 3 s of every 5 s) → 20 x 1502; CMVN. 40 mel bands: the paper does
# not say, and 128 bands would leave empty filters at a 661-sample window.
preset("mmer_analysis_mfcc", "mfcc", reference=MMER, notebook="mmer_analysis",
       sr=22050, excerpt="mmer_analysis", seconds=73.0, seed=0, n_mfcc=20, n_mels=40,
       n_fft=661, hop_length=661, normalize=True, n_frames=1502)
# 25 MFCCs from 23 mel bands at 22.05 kHz (window and hop: librosa's defaults), with CMVN.
preset("zhao2023_mfcc", "mfcc", reference=ZHAO2023, notebook="zhao2023",
       sr=22050, n_mfcc=25, n_mels=23, n_fft=2048, hop_length=512, normalize=True)
preset("zhao2023_chroma", "chroma", reference=ZHAO2023, notebook="zhao2023",
       sr=22050, n_fft=2048, hop_length=512)
# The short-chunk ResNet baseline (Won et al. 2020): 3.69 s chunks (59,049 samples) at 16 kHz,
# 128 mel bands, 512-sample window, hop 256.
preset("zhao2023_short_chunk_mel", "chunk_log_mel", reference=ZHAO2023 + "; Won et al., ICASSP 2020",
       notebook="zhao2023", sr=16000, chunk_seconds=3.69, n_mels=128, n_fft=512, hop_length=256)
preset("emopia_audio_lr", "audio_stats", reference=EMOPIA, notebook="zhao2023", sr=22050)

# --- symbolic ----------------------------------------------------------------------------------
preset("zhao2023_midi_like", "midi_like", reference=ZHAO2023 + "; Oore et al. 2018", notebook="zhao2023",
       sustain=True, max_length=None)
preset("emopia_symbolic_lr", "note_stats", reference=EMOPIA, notebook="zhao2023")

# --- text --------------------------------------------------------------------------------------
preset("zhao2022_bert_lyrics", "bert_lyrics", reference=ZHAO2022, notebook="zhao2022",
       segment_length=128, pooling="tokens")
preset("zhao2022_bert_context", "bert_context", reference=ZHAO2022, notebook="zhao2022",
       segment_length=128, pooling="tokens")
preset("jeon2017_lyrics_words", "lyrics_words", reference=JEON2017, notebook="jeon2017",
       open_class_only=True, max_words=400)
preset("mmer_analysis_lyrics_words", "lyrics_words", reference=MMER, notebook="mmer_analysis",
       stem=True, max_words=500)
preset("mmer_analysis_comments_words", "comments_words", reference=MMER, notebook="mmer_analysis",
       stem=True, max_words=500)
