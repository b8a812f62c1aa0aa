# Reference values for irdp.validation.meta_analysis.
# Run from this folder: Rscript reference.R  (writes values.json)
# 1) metafor's published BCG example (Colditz 1994; dat.bcg), log risk ratios, pooled with
#    rma(method="REML", test="knha"); 2) the C statistics in cstat.csv pooled on the logit
#    scale as metamisc::valmeta does (delta-method SE), REML + knha.
# Tight convergence (threshold 1e-10) so that the comparison is not limited by metafor's
# default stopping rule.
suppressMessages({library(metafor); library(jsonlite)})
ctrl <- list(threshold = 1e-10, maxiter = 1000)
fit_one <- function(yi, vi) {
  fit <- rma(yi = yi, vi = vi, method = "REML", test = "knha", control = ctrl)
  k <- fit$k
  se <- as.numeric(fit$se)
  mu <- as.numeric(fit$beta)
  pr <- predict(fit)  # metafor PI: t on k-1 df after knha
  pi_k2 <- mu + c(-1, 1) * qt(0.975, k - 2) * sqrt(fit$tau2 + se^2)
  list(mu = mu, se = se, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub, tau2 = fit$tau2,
       i2 = fit$I2, q = fit$QE, q_pvalue = fit$QEp,
       pi_k1_lb = pr$pi.lb, pi_k1_ub = pr$pi.ub, pi_k2_lb = pi_k2[1], pi_k2_ub = pi_k2[2])
}
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(data.frame(yi = as.numeric(bcg$yi), vi = as.numeric(bcg$vi)), "bcg.csv",
          row.names = FALSE)
cs <- read.csv("cstat.csv")
yi <- qlogis(cs$c)
sei <- cs$se / (cs$c * (1 - cs$c))
out <- list(
  bcg = fit_one(as.numeric(bcg$yi), as.numeric(bcg$vi)),
  cstat_logit = fit_one(yi, sei^2),
  R_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  date = as.character(Sys.Date())
)
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
