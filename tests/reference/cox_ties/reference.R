# Reference values for CoxIndex predictions with heavy ties: R's defaults.
# coxph(ties = "efron") predicts with the Efron-type baseline (survfit.coxph's default
# ctype = 2 for Efron fits; riskRegression::predictRisk does the same); Breslow fits with the
# Breslow baseline (ctype = 1). Data: data_ties.csv (80 rows, times 1..6), data_tiny.csv (12).
# Run from this folder: Rscript reference.R
suppressPackageStartupMessages({library(survival); library(riskRegression); library(jsonlite)})
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
nd <- data.frame(x = c(0, 1, -1, 0.5), g = c(0, 1, 0, 1), s = c("a", "b", "a", "b"))
times <- c(1, 2, 3, 4, 5)
one <- function(d, ties, weights = FALSE, strata = FALSE) {
  f <- if (strata) Surv(time, event) ~ x + g + strata(s) else Surv(time, event) ~ x + g
  fit <- if (weights) coxph(f, data = d, ties = ties, control = ctl, weights = w, x = TRUE)
         else coxph(f, data = d, ties = ties, control = ctl, x = TRUE)
  # default ctype follows ties; one curve per new row (its own stratum)
  surv <- t(sapply(seq_len(nrow(nd)), function(i)
    summary(survfit(fit, newdata = nd[i, ]), times = times, extend = TRUE)$surv))
  out <- list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
              surv = unname(surv))
  # predictCox refuses weighted fits; survfit covers them
  if (!weights) out$risk <- unname(predictRisk(fit, newdata = nd, times = times))
  out
}
res <- list(newdata = nd, times = times)
for (nm in c("ties", "tiny")) {
  d <- read.csv(paste0("data_", nm, ".csv"))
  res[[nm]] <- list(efron = one(d, "efron"), breslow = one(d, "breslow"))
  if (nm == "ties") {
    res[[nm]]$efron_weights <- one(d, "efron", weights = TRUE)
    res[[nm]]$efron_strata <- one(d, "efron", strata = TRUE)
  }
}
res$R_version <- R.version.string
res$survival_version <- as.character(packageVersion("survival"))
res$riskRegression_version <- as.character(packageVersion("riskRegression"))
res$date <- as.character(Sys.Date())
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
