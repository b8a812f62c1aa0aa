# Binary calibration reference values.
# - rms::val.prob: joint "Intercept" and "Slope", Eavg/E90/Emax from lowess(p, y, iter=0)
#   evaluated with approx (rms smoother), Spiegelhalter S:z / S:p;
# - calibration-in-the-large: glm(y ~ 1, offset = logit(p)) (CalibrationCurves / metamisc);
# - loess curve as CalibrationCurves::val.prob.ci.2 (degree 2, span 0.75) but with
#   surface = "direct" so that an exact Python implementation can match it; ICI, E50, E90,
#   Emax and ECI (mean squared difference, NOT x100) over the rows.
# Run from the repository root: Rscript tests/reference/calibration_binary/reference.R
suppressPackageStartupMessages({library(rms); library(jsonlite)})
d <- read.csv("tests/reference/metrics_data/binary.csv")
p <- d$p; y <- d$y; lp <- qlogis(p)
v <- val.prob(p, y, pl = FALSE)
citl <- glm(y ~ 1, offset = lp, family = binomial)
slope <- glm(y ~ lp, family = binomial)
lo <- loess(y ~ p, degree = 2, span = 0.75, control = loess.control(surface = "direct"))
pc <- predict(lo, newdata = data.frame(p = p))
dd <- abs(p - pc)
out <- list(
  valprob_intercept = unname(v["Intercept"]), valprob_slope = unname(v["Slope"]),
  valprob_eavg = unname(v["Eavg"]), valprob_emax = unname(v["Emax"]), valprob_e90 = unname(v["E90"]),
  spiegelhalter_z = unname(v["S:z"]), spiegelhalter_p = unname(v["S:p"]),
  citl = unname(coef(citl)[1]), citl_se = unname(sqrt(vcov(citl)[1, 1])),
  slope = unname(coef(slope)[2]), slope_se = unname(sqrt(vcov(slope)[2, 2])),
  intercept_joint_se = unname(sqrt(vcov(slope)[1, 1])),
  loess_ici = mean(dd), loess_e50 = unname(median(dd)), loess_e90 = unname(quantile(dd, 0.9)),
  loess_emax = max(dd), loess_eci = mean(dd^2),
  R = R.version.string, rms = as.character(packageVersion("rms")), date = as.character(Sys.Date())
)
write_json(out, "tests/reference/calibration_binary/values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
