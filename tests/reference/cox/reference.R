# Reference values for irdp CoxIndex: survival::coxph, Efron and Breslow, with and without
# strata, with case weights; Breslow (ctype = 1) and Efron (ctype = 2) baseline cumulative
# hazard at covariates 0.
library(survival); library(jsonlite)
d <- read.csv("data_cox.csv")
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
zero <- data.frame(x1 = 0, x2 = 0, x3 = 0)
one <- function(formula, ties, weights = NULL, stratified = FALSE) {
  fit <- if (is.null(weights)) coxph(formula, data = d, ties = ties, control = ctl)
         else coxph(formula, data = d, ties = ties, control = ctl, weights = w)
  out <- list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
              loglik = fit$loglik, names = names(coef(fit)))
  if (!stratified) {
    sf <- survfit(fit, newdata = zero, ctype = 1)
    out$basehaz <- list(list(stratum = "", time = sf$time, cumhaz = as.numeric(sf$cumhaz)))
    sf2 <- survfit(fit, newdata = zero, ctype = 2)
    out$basehaz_efron <- list(list(stratum = "", time = sf2$time,
                                   cumhaz = as.numeric(sf2$cumhaz)))
  } else {
    out$basehaz <- lapply(levels(factor(d$s)), function(k) {
      nd <- cbind(zero, s = k)
      sf <- survfit(fit, newdata = nd, ctype = 1)
      list(stratum = paste0("s=", k), time = sf$time, cumhaz = as.numeric(sf$cumhaz))
    })
    out$basehaz_efron <- lapply(levels(factor(d$s)), function(k) {
      nd <- cbind(zero, s = k)
      sf <- survfit(fit, newdata = nd, ctype = 2)
      list(stratum = paste0("s=", k), time = sf$time, cumhaz = as.numeric(sf$cumhaz))
    })
  }
  out
}
res <- list(
  efron = one(Surv(time, event) ~ x1 + x2 + x3, "efron"),
  breslow = one(Surv(time, event) ~ x1 + x2 + x3, "breslow"),
  efron_strata = one(Surv(time, event) ~ x1 + x2 + x3 + strata(s), "efron", stratified = TRUE),
  breslow_strata = one(Surv(time, event) ~ x1 + x2 + x3 + strata(s), "breslow", stratified = TRUE),
  efron_weights = one(Surv(time, event) ~ x1 + x2 + x3, "efron", weights = TRUE),
  R_version = R.version.string, survival_version = as.character(packageVersion("survival")),
  date = as.character(Sys.Date()))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
