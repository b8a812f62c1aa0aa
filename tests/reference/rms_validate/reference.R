# rms::validate reference values for irdp.validation.bootstrap_validate.
# Rscript reference.R  (reads binary.csv / survival.csv written by generate_data.py)
# Apparent indexes are deterministic; optimism-corrected ones are averaged over 20 seeds
# (B = 200 each) and their seed-to-seed SD is stored to set Monte-Carlo tolerances.
suppressMessages({library(rms); library(jsonlite)})
b <- read.csv("binary.csv"); s <- read.csv("survival.csv")
fl <- lrm(y ~ x1 + x2 + x3 + x4 + x5, data = b, x = TRUE, y = TRUE)
fc <- cph(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5, data = s, x = TRUE, y = TRUE,
          surv = TRUE)
rows_l <- c("Dxy", "Intercept", "Slope", "B")
rows_c <- c("Dxy", "Slope")
run <- function(fit, rows, seeds) {
  orig <- NULL; corr <- matrix(NA, length(seeds), length(rows), dimnames = list(NULL, rows))
  for (i in seq_along(seeds)) {
    set.seed(seeds[i])
    v <- rms::validate(fit, B = 200)  # jsonlite also exports validate()
    orig <- v[rows, "index.orig"]
    corr[i, ] <- v[rows, "index.corrected"]
  }
  list(apparent = as.list(orig), corrected_mean = as.list(colMeans(corr)),
       corrected_sd = as.list(apply(corr, 2, sd)), n_seeds = length(seeds), B = 200)
}
out <- list(
  lrm = run(fl, rows_l, 1:20),
  cph = run(fc, rows_c, 1:20),
  lrm_coef = as.list(coef(fl)),
  cph_coef = as.list(coef(fc)),
  R_version = R.version.string,
  rms_version = as.character(packageVersion("rms")),
  survival_version = as.character(packageVersion("survival")),
  date = as.character(Sys.Date())
)
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
