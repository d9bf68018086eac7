# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Start here: the Inference Cost Workbook (Chapter 30, §30.1–§30.11)
#
# What does serving a large language model cost per million tokens — and *why* that much?
# This workbook turns Chapter 30 of the syllabus ("Cost modeling for inference: tokens, GPUs,
# dollars") into notebooks you can run, poke at and argue with. Every number you see is computed
# by a small Python package, `costlib`, from catalogs of GPUs, models and prices whose every row
# names its source.
#
# **After this notebook you will**
# 1. know what is in the workbook and pick a path through it (self-study, interview drill or workshop);
# 2. know the handful of conventions every number follows (units, GB, FLOP/s, months);
# 3. have priced your first deployment in the 60-second tour below.
#
# One warning before you start: **the chapter is the syllabus, not the truth.** Several of its
# figures are rounded, mixed up or physically impossible (a 70B model in bf16 does not fit on one
# H100, for instance). Wherever that happens the workbook shows the chapter's number, the
# corrected one, and the reason — learning to spot such slips is half of the skill.

# %% [markdown]
# ## Contents
#
# | notebook | what you will be able to do after it |
# |---|---|
# | [00 · Start here](00_start_here.ipynb) | find your way: the map, the conventions every number follows and a 60-second tour |
# | [01 · The cost model](01_cost_model.ipynb) | turn a price per GPU-hour into a price per million tokens, and tell the procurement tiers apart |
# | [02 · The throughput ceiling](02_throughput_ceiling.ipynb) | bound tokens/s by memory bandwidth and compute, and see where memory runs out |
# | [03 · Peak vs real](03_utilization.ipynb) | say how far real serving sits below the ceiling and what idle hours add to the price |
# | [04 · Prefill vs decode](04_prefill_vs_decode_cost.ipynb) | price an input token against an output token for chat, RAG and reasoning workloads |
# | [05 · Self-hosting vs an API](05_self_host_vs_api.ipynb) | find the monthly volume at which running your own GPUs beats an API bill |
# | [06 · Comparing GPUs](06_hardware.ipynb) | rank GPUs by dollars per token instead of dollars per hour |
# | [07 · The serving frontier](07_latency_frontier.ipynb) | trade latency against cost with the batch size, and a small model against a big one |
# | [07b · Latency under load](07b_latency_under_load.ipynb) | watch time to first token explode near saturation, and buy the cheapest fleet that meets an SLO |
# | [08 · Sizing a fleet](08_capacity_rubric.ipynb) | answer the interview question "how many GPUs for a million users?" in whole replicas |
# | [09 · Checking the chapter](09_checking_the_chapter.ipynb) | re-derive every checkable figure of the chapter and explain the ones that fail |
# | [10 · The mental model](10_mental_model.ipynb) | keep the whole chapter on one page: the formulas and the numbers to know cold |
# | [11 · How wrong is the roofline?](11_how_wrong_is_the_roofline.ipynb) | measure how far the model is from published benchmark runs, and why |
# | [12 · Levers beyond the chapter](12_levers_beyond_the_chapter.ipynb) | price prefix caching, speculative decoding and energy, and find the input that moves the price most |
#
# Each notebook ends with links to its exercises (in `exercises/`, worked solutions in `solutions/`);
# the map further down lists them all. First, a check that everything the workbook needs is installed:

# %%
import _guide as guide  # this folder's helper: environment check, the map, the CLI example
import pandas as pd
from IPython.display import Markdown

import costlib as cl
from costlib.teaching import chapter as ch
from costlib.ui import widgets

guide.check_environment()

# %% [markdown]
# ## What is in the box
#
# | folder | what it holds |
# |---|---|
# | `notebooks/` | the workbook: one notebook per group of chapter sections, each with explanations, reproduced figures, explorers (sliders) and a takeaways cell that links to its exercises |
# | `exercises/` | the chapter's practice problems and concept checks as notebooks with blanks; `cl.check(...)` tells you whether your answer is right and, if not, which slip you probably made |
# | `solutions/` | worked solutions to every exercise (open them *after* you tried) |
# | `costlib/` | the calculator behind every number: pure functions over small CSV catalogs in `costlib/data/` |
#
# The map below is built from the notebooks in this folder and the exercise registry
# (`cl.questions()`), so it is always current: re-run the cell after new notebooks appear.

# %%
guide.workbook_map()

# %% [markdown]
# And the exercises themselves, with what each one asks (`tolerance` says how close an answer must
# be to count as correct):

# %%
guide.exercise_table()

# %% [markdown]
# ## Three ways through the workbook
#
# ### 1. Self-study (about an evening per two notebooks)
# - Go in order: `01` → `02` → `03` build the cost model, the throughput ceiling and the
#   utilization gap that everything later relies on; then follow the map.
# - In each notebook: *Run All* first and read top to bottom; then change one input in a code cell
#   and predict the new number **before** you run it; then play with the explorer.
# - Do the exercises linked from the takeaways cell. `cl.check("p1", your_answer)` grades you and
#   names the slip if you made a classic one (an hour is 3,600 seconds; a bf16 weight is 2 bytes...).
#   `cl.hint("p1")` nudges without giving the answer away. Open `solutions/` last.
# - Whenever the notebook shows "chapter vs corrected", close it and re-derive the correction yourself.
#
# ### 2. Interview drill (the capacity-planning question, cold)
# Senior ML-systems interviews ask some version of "what does it cost to serve model X to N users?".
# - Learn the handful of numbers in the cheat sheet below by heart — they are computed, not typed,
#   so they are right. `10_mental_model` has the one-page version of the whole chapter.
# - Drill the formulas in `01` (cost per token) and `02` (decode and prefill ceilings), then
#   `08_capacity_rubric`, the §30.10 question itself. Time yourself: two minutes on paper, then
#   check your estimate with the explorer or with `python -m costlib plan`.
# - In every estimate, say the units out loud and **check memory first**: interviewers love the
#   candidate who notices that the proposed configuration does not fit.
# - Work the interview drills (`d1`, `d2`, … in the map: the rubric in reverse, an fp8 migration, a
#   KV-cache wall...) and the practice problems `p1`–`p7` under time pressure.
#
# ### 3. Workshop (90 minutes or a half day, 10–30 people)
# Instructors: everything is in the instructor kit, [`workshop/README.md`](../workshop/README.md):
# learning objectives for every notebook, a timed 90-minute and a half-day agenda, which exercises
# to assign when, the mistakes the checks recognise and what to say about each, and how to get a
# room running (`make lab`, conda or Binder). Participants should run `make lab` the day before.
# The shape of the short session: this tour, the cost formula (`01`), the memory wall (`02`),
# utilization (`03`), pairs sizing a fleet (`08`), and a debrief on where the chapter is wrong (`09`).
# On a projector, the explorers are the fastest way to answer "what if?" questions from the room.

# %% [markdown]
# ## Cheat sheet: the numbers to know cold
#
# Each of these is computed from the catalog below (datasheet figures, Llama 3.1 70B's real
# architecture), so you can trust the digits. `02_throughput_ceiling` derives each one.

# %% tags=["nbval-check-output"]
h100 = cl.get_gpu("H100-SXM")
llama70 = cl.get_model("llama-3.1-70b")
usd_h = ch.S30_2.default_usd_per_hour  # the chapter's default H100 price
cheat = pd.DataFrame([
    ("H100 SXM memory bandwidth", f"{h100.hbm_bytes_per_s / 1e12:.2f} TB/s"),
    ("H100 SXM dense bf16 compute", f"{h100.flops_for('bf16') / 1e12:,.0f} TFLOP/s"),
    ("H100 ridge point (FLOP per byte)", f"{h100.flops_for('bf16') / h100.hbm_bytes_per_s:,.0f}"),
    ("H100 usable memory (95% − 1 GB)", f"{cl.usable_bytes(h100) / 1e9:.1f} GB"),
    ("Llama 3.1 70B parameters", f"{llama70.n_params / 1e9:.2f} B"),
    ("70B weights in bf16 / fp8 / int4",
     " / ".join(f"{cl.weight_bytes(llama70, p) / 1e9:.1f} GB" for p in ("bf16", "fp8", "int4"))),
    ("70B KV cache per token (bf16)", f"{cl.kv_bytes_per_token(llama70) / 1e6:.2f} MB"),
    ("70B bf16 decode ceiling per sequence, 1×H100 bandwidth",
     f"{cl.decode_ceiling_tokens_per_s(h100.hbm_bytes_per_s, cl.weight_bytes(llama70)):.1f} tokens/s"),
    (f"${usd_h:.2f}/h at {ch.S30_1.tokens_per_s:,.0f} tokens/s",
     f"${cl.usd_per_million_tokens(usd_h, ch.S30_1.tokens_per_s):.2f} per M tokens"),
    ("hours in a (30-day) month", f"{cl.HOURS_PER_MONTH:,}"),
], columns=["quantity", "value"])
print(cheat.to_string(index=False))

# %% [markdown]
# ## How to run things
#
# | command | what it does |
# |---|---|
# | `make lab` | installs everything into `.venv` (first time only) and opens this notebook in JupyterLab |
# | `make test` | lint, unit tests, and every notebook re-executed and compared with its saved outputs (what CI runs) |
# | `make exercises` | regenerates the blank student notebooks in `exercises/` from the solutions |
# | `make book` | builds this workbook as a static website in `_build/book/` (saved outputs, works offline) |
# | `python -m costlib --help` | the same calculator on the command line: `cost`, `fit`, `decode`, `plan`, `crossover`, `catalog` |
#
# The command line prints its worked steps, so it doubles as a self-check. For example, the
# chapter's first worked example (a GPU at <span>\$</span>3/hour producing 1,000 tokens/s):

# %% tags=["nbval-check-output"]
ex = ch.S30_1
print(guide.run_cli("cost", "--usd-per-hour", ex.usd_per_hour, "--tokens-per-s", ex.tokens_per_s))

# %% [markdown]
# In Python, the same number is one call — and the notebooks are built from calls like it:

# %% tags=["nbval-check-output"]
print(f"${cl.usd_per_million_tokens(ex.usd_per_hour, ex.tokens_per_s):.4f} per million tokens")

# %% [markdown]
# ## Conventions (read once, rely on everywhere)
#
# - **SI units inside.** Every costlib function takes and returns bytes, FLOP/s, seconds and US
#   dollars; the unit is in the name (`weight_bytes`, `hbm_bytes_per_s`, `step_time_s`,
#   `usd_per_gpu_hour`). Conversions to GB or TB/s happen only when printing.
# - **Decimal gigabytes, and one convention for device memory.** We print 1 GB = 10⁹ bytes. A binary
#   GiB (2³⁰ bytes) is about 7% larger. HBM comes in binary sizes: the H100's "80 GB" on the
#   datasheet is 80 GiB of device memory, more bytes than 80 × 10⁹. costlib reads every datasheet
#   memory size with one convention, used everywhere downstream (usable memory, fits, batches); the
#   cell below prints which one, from the catalog itself.
# - **Dense FLOP/s.** Datasheets headline "with sparsity" figures that are twice what ordinary dense
#   matrix multiplies get; the catalog stores the dense rate.
# - **Datasheet vs chapter figures.** The catalog holds datasheet values and parameter counts
#   computed from each model's published architecture. The chapter rounds (3 TB/s for the H100,
#   "70B" parameters, "140 GB"); to reproduce one of its numbers, pass its input explicitly, e.g.
#   `cl.get_gpu("H100-SXM", hbm_bytes_per_s=ch.S30_3.hbm_bytes_per_s)`. `costlib.teaching.chapter` holds all
#   of the chapter's inputs as named constants.
# - **Usable memory.** A serving engine cannot use all of HBM: by default 95% of it, minus 1 GB per
#   GPU for activations and workspaces. Memory is checked before anything is priced; a
#   configuration that does not fit gets the shortfall, not a price.
# - **Prices are per GPU-hour**, with a low–high range per procurement tier, as of the `as_of` date
#   in `costlib/data/gpu_prices.csv`. A replica on TP GPUs costs TP times as much.
# - **A month is 30 days** (720 hours), the chapter's own convention in §30.10.

# %% tags=["nbval-check-output"]
gib = h100.hbm_bytes == h100.hbm_gb * 2**30
print(f"H100 HBM: datasheet '{h100.hbm_gb:g} GB'; costlib counts {h100.hbm_bytes / 1e9:.1f} GB = "
      f"{h100.hbm_bytes / 2**30:.1f} GiB of device memory ("
      + ("datasheet GB read as GiB, the device's real size)" if gib else
         "datasheet GB read as 10^9 bytes, a little under the device's real size)"))
print(f"H100 bf16: {h100.flops_for('bf16') / 1e12:,.0f} TFLOP/s dense "
      f"(datasheet headline with sparsity: {2 * h100.flops_for('bf16') / 1e12:,.0f})")
print(f"H100 bandwidth: datasheet {h100.hbm_bytes_per_s / 1e12:.2f} TB/s, "
      f"chapter §30.3 {ch.S30_3.hbm_bytes_per_s / 1e12:.2f} TB/s")
print(f"Llama 3.1 70B bf16 weights: computed {cl.weight_bytes(llama70) / 1e9:.1f} GB, "
      f"chapter {ch.S30_3.model_bytes / 1e9:.0f} GB")
print(f"one month = {cl.DAYS_PER_MONTH} days = {cl.HOURS_PER_MONTH} hours")

# %% [markdown]
# ## Where the chapter is wrong
#
# `ch.claims()` re-derives every checkable figure of the chapter with costlib and gives it a
# verdict: *correct* (within 2%), *rounded* (within 10%), *inconsistent* (clashes with another
# figure of the chapter), *wrong*, or *physically impossible* (the configuration does not fit in
# memory). Most hold; the ones that don't are the best teaching moments in the workbook.

# %% tags=["nbval-check-output"]
counts = ch.verdict_counts()
print(f"{counts.sum()} claims checked:")
print(counts.to_string())

# %% [markdown]
# The claims that are wrong or impossible, by section (the notebook for each section explains why,
# `09_checking_the_chapter` walks through all of them, and `ch.claims()` has a `why` column for
# every row):

# %%
Markdown(ch.claims_markdown(verdicts=("wrong", "physically impossible"), why=False))

# %% [markdown]
# ## The 60-second tour
#
# Pick a GPU, a model, a precision and a price. The tour answers the three questions that matter, in
# the order that matters: **does it fit?** (weights + KV cache vs usable memory), **how fast?**
# (decode tokens/s from the roofline, at a realistic utilization) and **what does a million tokens
# cost?** Try Llama 3.1 70B in bf16 on one H100, then switch to fp8 or raise the tensor parallelism.

# %% tags=["nbval-ignore-output"]
widgets.tour()

# %% [markdown]
# ## Takeaways
#
# - The workbook is Chapter 30 made executable: notebooks explain, `costlib` computes, exercises
#   check you. Follow the map above; start with [01 · The cost model](01_cost_model.ipynb).
# - Every number is computed from sourced catalogs; when the chapter disagrees, you are shown both
#   and why.
# - Units are SI inside, GB are decimal, FLOP/s are dense, months are 30 days.
# - Physics first: a configuration that does not fit in memory has no price.
# - Warm up with [cq1](../exercises/cq1.ipynb) (a one-line cost calculation) and
#   [p1](../exercises/p1.ipynb).
#
# **Next:** [01 · The cost model](01_cost_model.ipynb).
