# rms::calibrate reference for bootstrap_validate(..., calibration_curve=True) (binary).
# Rscript calibrate.R  (reads binary.csv; writes calibrate.json)
# calibrated.orig is deterministic (lowess(p, y, iter=0) evaluated on rms's 50-point grid);
# calibrated.corrected is averaged over 10 seeds of B = 200, with its seed-to-seed SD.
suppressMessages({library(rms); library(jsonlite)})
b <- read.csv("binary.csv")
fl <- lrm(y ~ x1 + x2 + x3 + x4 + x5, data = b, x = TRUE, y = TRUE)
corr <- NULL
for (s in 1:10) {
  set.seed(s)
  cal <- calibrate(fl, B = 200)
  corr <- rbind(corr, cal[, "calibrated.corrected"])
  predy <- cal[, "predy"]; orig <- cal[, "calibrated.orig"]
}
out <- list(predy = as.numeric(predy), calibrated_orig = as.numeric(orig),
            corrected_mean = as.numeric(colMeans(corr)),
            corrected_sd = as.numeric(apply(corr, 2, sd)), n_seeds = 10, B = 200,
            R_version = R.version.string, rms_version = as.character(packageVersion("rms")),
            date = as.character(Sys.Date()))
write_json(out, "calibrate.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
