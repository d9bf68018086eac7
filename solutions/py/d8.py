# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Drill 8 · Bursty traffic: reserve for the peak, or autoscale on demand?
#
# *Interview drill 8 (§30.2, §30.7): procurement tiers meet a daily traffic profile.*
#
# **Problem.** A chat product serves Llama 3.1 70B in bf16 on replicas of four H100s (TP=4). Its
# traffic follows a daily profile: 6 busy hours at 100M tokens per hour, and 18 quiet hours at
# 10M tokens per hour. Two ways to buy the GPUs:
#
# - **Reserved**: enough replicas for the busy hours, kept all month, at the reserved price;
# - **Autoscaled on demand**: each hour, just the replicas that hour's traffic needs (at least
#   one), at the on-demand price.
#
# Both keep 30% headroom over the hour's rate and count whole replicas. How much does autoscaling
# save per month?
#
# **Assumptions.** H100 prices are the catalog's mid points per tier (§30.1-§30.2). A replica
# decodes at the largest batch of 2,048-token sequences it holds, at the middle of §30.4's MBU
# range. Scaling is perfect at hourly granularity: on-demand GPUs are always available and start
# instantly (see the discussion). 30-day months.
#
# **Give** `answer`: reserved bill minus autoscaled bill, in dollars per month (negative if the
# reserved fleet is cheaper). `cl.check("d8", answer)` accepts answers within 1%.

# %%
import costlib as cl
from costlib.teaching.questions_drills import ASSUMPTIONS, D8

ctx = ASSUMPTIONS.context
dep = cl.deployment(D8.model, D8.gpu, tp=D8.tp, weights=D8.weights)
quiet_hours = 24 - D8.peak_hours_per_day
print(f"H100 reserved ${D8.reserved_usd_per_gpu_hour:.2f}/h, on demand "
      f"${D8.on_demand_usd_per_gpu_hour:.2f}/h")
D8

# %% [markdown]
# **Physics first.** The replica must hold the bf16 weights plus a useful batch.

# %%
print(cl.fit(dep, context=ctx).message)

# %% [markdown]
# **Step 1: replicas per hour.**
#
# <!-- BEGIN SOLUTION -->
# A replica's rate comes from its batch; each hour needs
# ceil(tokens/s × 1.3 ÷ replica tokens/s) replicas. (`cl.replicas_needed` with
# `hours_per_month=1` reads one hour's tokens as the "month".)
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
rate = cl.decode_tokens_per_s(dep, cl.fit(dep, context=ctx).max_batch, ctx)
busy = cl.replicas_needed(D8.peak_tokens_per_hour, rate, 1.0, D8.headroom, hours_per_month=1)
quiet = cl.replicas_needed(D8.off_peak_tokens_per_hour, rate, 1.0, D8.headroom,
                           hours_per_month=1)
print(f"replica: {rate:,.0f} tokens/s = {rate * 3600 / 1e6:.1f}M tokens/hour")
print(f"busy hours: {busy} replicas; quiet hours: {quiet} replica(s)")
# END SOLUTION

# %% [markdown]
# **Step 2: the two bills.**
#
# <!-- BEGIN SOLUTION -->
# Reserved pays the busy-hour fleet for every hour of the month;
# autoscaling pays the replica-hours actually used, at the higher price.
# <!-- END SOLUTION -->

# %%
# BEGIN SOLUTION
reserved = busy * D8.tp * D8.reserved_usd_per_gpu_hour * cl.HOURS_PER_MONTH
replica_hours = busy * D8.peak_hours_per_day + quiet * quiet_hours
autoscaled = replica_hours * D8.tp * D8.on_demand_usd_per_gpu_hour * cl.DAYS_PER_MONTH
print(f"reserved:   {busy} x {D8.tp} GPUs x ${D8.reserved_usd_per_gpu_hour:.2f} x "
      f"{cl.HOURS_PER_MONTH} h = ${reserved:,.0f}/month")
print(f"autoscaled: {replica_hours} replica-hours/day x {D8.tp} GPUs x "
      f"${D8.on_demand_usd_per_gpu_hour:.2f} x {cl.DAYS_PER_MONTH} days = ${autoscaled:,.0f}/month")
answer = reserved - autoscaled
print(f"saving of autoscaling: ${answer:,.0f}/month")
# END SOLUTION

# %%
cl.check("d8", answer)

# %% [markdown]
# **A rule of thumb, and a third option.** (optional) Autoscaling wins when the fleet is busy a
# smaller fraction of the time than the price ratio reserved ÷ on-demand. Check it here. Then
# price a hybrid: reserve the replicas every hour needs, rent only the burst on demand.

# %%
# BEGIN SOLUTION
duty = replica_hours / (24 * busy)
price_ratio = D8.reserved_usd_per_gpu_hour / D8.on_demand_usd_per_gpu_hour
print(f"average / peak replicas = {duty:.2f}; reserved / on-demand price = {price_ratio:.2f} "
      f"-> autoscaling {'wins' if duty < price_ratio else 'loses'}")
hybrid = (quiet * D8.tp * D8.reserved_usd_per_gpu_hour * cl.HOURS_PER_MONTH
          + (busy - quiet) * D8.peak_hours_per_day * D8.tp * D8.on_demand_usd_per_gpu_hour
          * cl.DAYS_PER_MONTH)
print(f"hybrid: {quiet} reserved replica(s) + {busy - quiet} on demand for "
      f"{D8.peak_hours_per_day} h/day = ${hybrid:,.0f}/month")
# END SOLUTION

# %% [markdown]
# <!-- BEGIN SOLUTION -->
# The hybrid beats both: capacity used around the clock is cheapest reserved, capacity used a few
# hours a day is cheapest rented. Two cautions before betting on on-demand GPUs: H100s are not
# always available on demand at short notice, and a 70B replica takes minutes to start (download,
# load and warm the weights), so real autoscaling scales ahead of the traffic and pays for some
# idle time. Reserving a little more than the base load is the usual compromise.
# <!-- END SOLUTION -->

# %% [markdown]
# ## Takeaways
#
# - Reserved capacity is paid every hour; on-demand capacity only when used, at about twice the
#   price. Autoscaling wins when average ÷ peak capacity is below reserved ÷ on-demand price.
# - Count whole replicas per hour: rounding up at the peak and keeping one replica overnight are
#   real costs.
# - The cheapest plan usually mixes tiers: reserve the base load, rent the burst.
