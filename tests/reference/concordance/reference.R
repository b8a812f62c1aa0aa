# survival::concordance reference values (Harrell and Uno n/G2, infinitesimal-jackknife variance).
# Run from the repository root: Rscript tests/reference/concordance/reference.R
library(survival); library(jsonlite)
d <- read.csv("tests/reference/metrics_data/survival.csv")
cr <- read.csv("tests/reference/metrics_data/competing.csv")
# administrative censoring at the horizon 5 (McLernon: survSplit(cut = 5), epoch 1)
d5 <- d; d5$event[d5$time > 5] <- 0; d5$time <- pmin(d5$time, 5)
f <- function(fit) list(c = unname(coef(fit)), var = unname(fit$var[1]))
out <- list(
  harrell_lp = f(concordance(Surv(time, event) ~ lp, data = d, reverse = TRUE)),
  harrell_risk = f(concordance(Surv(time, event) ~ risk5, data = d, reverse = TRUE)),
  uno_lp = f(concordance(Surv(time, event) ~ lp, data = d, reverse = TRUE, timewt = "n/G2")),
  harrell_lp_h5 = f(concordance(Surv(time, event) ~ lp, data = d5, reverse = TRUE)),
  uno_lp_h5 = f(concordance(Surv(time, event) ~ lp, data = d5, reverse = TRUE, timewt = "n/G2")),
  harrell_lp_ymax4 = f(concordance(Surv(time, event) ~ lp, data = d, reverse = TRUE, ymax = 4)),
  cs_competing = f(concordance(Surv(time, status == 1) ~ risk5, data = cr, reverse = TRUE)),
  R = R.version.string, survival = as.character(packageVersion("survival")),
  date = as.character(Sys.Date())
)
write_json(out, "tests/reference/concordance/values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
