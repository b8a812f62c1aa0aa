# riskRegression::Score reference values: IPCW td-AUC (Blanche definition 2 for competing
# risks), Brier score and IPA at a horizon, with influence-function standard errors.
# cens.model = "km" (censoring Kaplan-Meier of the validation data). The risks are given as
# numeric vectors (predicted risk of the event of interest by the horizon).
# Run from the repository root: Rscript tests/reference/score_riskregression/reference.R
suppressPackageStartupMessages({library(riskRegression); library(survival); library(prodlim); library(jsonlite)})
d <- read.csv("tests/reference/metrics_data/survival.csv")
cr <- read.csv("tests/reference/metrics_data/competing.csv")
grab <- function(sc) {
  a <- as.data.frame(sc$AUC$score); b <- as.data.frame(sc$Brier$score)
  list(auc = a$AUC[a$model == "m"], auc_se = a$se[a$model == "m"],
       brier = b$Brier[b$model == "m"], brier_se = b$se[b$model == "m"],
       brier_null = b$Brier[b$model == "Null model"], brier_null_se = b$se[b$model == "Null model"],
       ipa = b$IPA[b$model == "m"])
}
out <- list()
for (h in c(4.99, 3)) {
  s <- Score(list(m = d$risk5), formula = Surv(time, event) ~ 1, data = d, times = h,
             cens.model = "km", metrics = c("auc", "brier"), summary = "ipa", se.fit = TRUE,
             null.model = TRUE)
  out[[paste0("survival_", h)]] <- grab(s)
  s2 <- Score(list(m = cr$risk5), formula = Hist(time, status) ~ 1, data = cr, times = h,
              cause = 1, cens.model = "km", metrics = c("auc", "brier"), summary = "ipa",
              se.fit = TRUE, null.model = TRUE)
  out[[paste0("competing_", h)]] <- grab(s2)
}
# Aalen-Johansen / Kaplan-Meier observed risks used by the null models
km <- prodlim(Hist(time, event) ~ 1, data = d)
out$km_risk_4.99 <- 1 - predict(km, times = 4.99)
aj <- prodlim(Hist(time, status) ~ 1, data = cr)
out$aj_cif1_4.99 <- predict(aj, times = 4.99, cause = 1)
out$R <- R.version.string
out$riskRegression <- as.character(packageVersion("riskRegression"))
out$date <- as.character(Sys.Date())
write_json(out, "tests/reference/score_riskregression/values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
