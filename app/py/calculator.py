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
# # Inference cost calculator (§30.1–§30.7)
#
# Pick a model, a GPU, the precisions of the weights and of the KV cache, and how many GPUs share
# the model (tensor parallelism). Then size the batch, either directly or as the largest batch
# that still meets a time-per-output-token (TPOT) target, and choose a price tier and how busy
# the GPUs are on average. The calculator checks memory first: a deployment that does not fit
# says by how much and what to try instead. Only then does it estimate throughput and price it.

# %%
from costlib.ui.app import calculator_app

calculator_app()

# %% [markdown]
# **How to read the numbers**
#
# - *tokens/s* is the output rate of one replica at full load, from the roofline decode model of
#   notebook 02 (weights and KV cache read every step, tensor-parallel all-reduces added).
# - The *range* combines the two things the catalog cannot pin down: how close a real serving
#   engine gets to the hardware (the low, middle and high end of the chapter's MBU/MFU ranges,
#   §30.4) and where in the published price range of the tier you buy (§30.2).
# - *<span>\$</span> per million output tokens* prices decode only, at the chosen utilization: an idle GPU
#   still bills, so half the traffic means twice the price (§30.5). Prompt tokens are extra
#   (notebook 04).
# - *monthly* is the replica switched on all month (the chapter's 30-day month), whatever the
#   traffic.
# - The table compares with the catalog's API prices for output tokens; "break-even utilization"
#   is the average load at which this replica matches that API (§30.7). APIs serving the same
#   model come first.
#
# Every price and hardware figure comes from `costlib/data/*.csv`, where each row names its source
# and date. Serve this page with `make app`; the workbook itself opens with `make lab`.
