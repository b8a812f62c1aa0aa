# riskRegression::Score standard errors with tied event and censoring times: IPCW Brier
# score and td-AUC (Blanche definition 2 for competing risks) at horizons 3 and 4, with
# se.fit = TRUE, cens.model = "km". Times are whole periods 1..8: events and censorings
# share times, which is where the risk set of the censoring influence function matters.
# Run from this folder: Rscript reference.R
suppressPackageStartupMessages({library(riskRegression); library(survival); library(prodlim);
                                library(jsonlite)})
grab <- function(sc) {
  a <- as.data.frame(sc$AUC$score); b <- as.data.frame(sc$Brier$score)
  list(auc = a$AUC[a$model == "m"], auc_se = a$se[a$model == "m"],
       brier = b$Brier[b$model == "m"], brier_se = b$se[b$model == "m"],
       brier_null = b$Brier[b$model == "Null model"],
       brier_null_se = b$se[b$model == "Null model"])
}
out <- list()
for (nm in c("survival", "tiny", "competing")) {
  d <- read.csv(paste0(nm, ".csv"))
  for (h in c(3, 4)) {
    f <- if (nm == "competing") Hist(time, status) ~ 1 else Surv(time, status) ~ 1
    s <- Score(list(m = d$risk), formula = f, data = d, times = h, cause = 1,
               cens.model = "km", metrics = c("auc", "brier"), se.fit = TRUE,
               null.model = TRUE)
    out[[paste0(nm, "_", h)]] <- grab(s)
  }
}
out$R <- R.version.string
out$riskRegression <- as.character(packageVersion("riskRegression"))
out$prodlim <- as.character(packageVersion("prodlim"))
out$date <- as.character(Sys.Date())
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
