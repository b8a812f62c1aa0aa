# Reference values for irdp.validation.stability and irdp.validation.centre_calibration.
# Run from this folder after `python generate_data.py`:  Rscript reference.R  (writes values.json)
#
# 1) Stability definitions of Riley & Collins (2023) as pminternal 0.1.0 computes them
#    (R/stability_plot.R of github.com/stephenrho/pminternal, commit 01f0b5e): per-worker
#    percentiles of the bootstrap-model risks with quantile() (type 7), MAPE_i = mean_b |p_bi - p_i|,
#    classification instability index 1 - mean_b 1{class(p_bi) == class(p_i)} with pminternal's
#    class = p > t, and with irdp's class = p >= t; risk levels with cut-offs (0.2, 0.4)
#    (findInterval: a risk equal to a cut-off goes to the upper level, as irdp.models.RiskLevels).
# 2) Random-effects logistic calibration models with lme4::glmer (Laplace = default nAGQ = 1;
#    adaptive quadrature nAGQ = 20; random slope; prior weights; a singular fit), with a tight
#    bobyqa tolerance so that the comparison is not limited by the optimiser's stopping rule;
#    vcov() with its default use.hessian = TRUE. The MIXC curve on the grid is the fixed part
#    with a Wald CI, and a prediction interval adding VarCorr (normal quantile, logit scale).
# 3) MAC2 (CalibrationCurves 3.1.0, Barrenada et al. 2025) rebuilt from its parts: per centre
#    rms::lrm(y ~ rcs(logit(p), 3)) evaluated on the grid with predict(se.fit = TRUE); at each
#    grid point metafor::rma(method = "REML") (what meta::metagen calls), Wald CI, and the
#    Higgins-Thompson-Spiegelhalter prediction interval t_{k-2} sqrt(tau^2 + se^2)
#    (metagen's method.predict = "HTS").
suppressMessages({library(lme4); library(rms); library(metafor); library(jsonlite)})

# ---------------------------------------------------------------- 1) stability
pr <- read.csv("predictions.csv")
p0 <- pr$p0
pb <- as.matrix(pr[, -1])
probs <- c(0.025, 0.5, 0.975)
lims <- t(apply(pb, 1, quantile, probs = probs))
mape_i <- rowMeans(abs(pb - p0))
cii <- function(t, ge) {
  if (ge) 1 - rowMeans((pb >= t) == (p0 >= t)) else 1 - rowMeans((pb > t) == (p0 > t))
}
cuts <- c(0.2, 0.4)
lev0 <- findInterval(p0, cuts)
levb <- matrix(findInterval(pb, cuts), nrow(pb))
trans <- t(sapply(0:2, function(l) sapply(0:2, function(m)
  sum(levb[lev0 == l, , drop = FALSE] == m) / (sum(lev0 == l) * ncol(pb)))))
stab <- list(
  lower = unname(lims[, 1]), median = unname(lims[, 2]), upper = unname(lims[, 3]),
  mape = unname(mape_i), average_mape = mean(mape_i),
  cii_gt_0.2 = cii(0.2, FALSE), cii_gt_0.4 = cii(0.4, FALSE),
  cii_ge_0.2 = cii(0.2, TRUE), cii_ge_0.4 = cii(0.4, TRUE),
  level_change = rowMeans(levb != lev0), transitions = unname(trans),
  n_level = as.numeric(table(factor(lev0, levels = 0:2)))
)

# ---------------------------------------------------------------- 2) glmer
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
d <- read.csv("clusters.csv"); d$lp <- qlogis(d$p)
flat <- read.csv("clusters_flat.csv"); flat$lp <- qlogis(flat$p)
g <- read.csv("grid.csv")$grid; xg <- qlogis(g)
z <- qnorm(0.975)
fit_out <- function(f) {
  list(fixef = unname(fixef(f)), vcov = unname(as.matrix(vcov(f))),
       theta = unname(getME(f, "theta")), loglik = as.numeric(logLik(f)),
       ranef = unname(as.matrix(ranef(f)$cluster)), singular = isSingular(f))
}
mixc_curve <- function(f, knots) {
  B <- cbind(1, rcspline.eval(xg, knots, inclx = TRUE))
  eta <- drop(B %*% fixef(f))
  v <- rowSums((B %*% as.matrix(vcov(f))) * B)
  s2 <- VarCorr(f)$cluster[1]
  list(observed = plogis(eta), lower = plogis(eta - z * sqrt(v)),
       upper = plogis(eta + z * sqrt(v)), pi_lower = plogis(eta - z * sqrt(v + s2)),
       pi_upper = plogis(eta + z * sqrt(v + s2)))
}
knots <- rcspline.eval(d$lp, nk = 3, knots.only = TRUE)
f_rcs <- glmer(y ~ rcs(lp, 3) + (1 | cluster), data = d, family = binomial, control = ctrl)
f_agq <- glmer(y ~ lp + (1 | cluster), data = d, family = binomial, nAGQ = 20, control = ctrl)
f_slope <- glmer(y ~ lp + (lp | cluster), data = d, family = binomial, control = ctrl)
f_w <- glmer(y ~ lp + (1 | cluster), data = d, family = binomial, weights = w, control = ctrl)
knots_flat <- rcspline.eval(flat$lp, nk = 3, knots.only = TRUE)
f_flat <- glmer(y ~ rcs(lp, 3) + (1 | cluster), data = flat, family = binomial, control = ctrl)
glmm <- list(
  knots = knots, rcs = c(fit_out(f_rcs), list(curve = mixc_curve(f_rcs, knots))),
  agq20 = fit_out(f_agq), slope = fit_out(f_slope), weighted = fit_out(f_w),
  knots_flat = knots_flat, flat = fit_out(f_flat)
)

# ---------------------------------------------------------------- 3) MAC2
rma_ctrl <- list(threshold = 1e-10, maxiter = 1000)
per <- lapply(split(d, d$cluster), function(dc) {
  kn <- rcspline.eval(dc$lp, nk = 3, knots.only = TRUE)
  f <- lrm(y ~ rcs(lp, 3), data = dc)  # knots = kn (Hmisc quantiles of the centre)
  pr <- predict(f, newdata = data.frame(lp = xg), type = "lp", se.fit = TRUE)
  list(eta = unname(pr$linear.predictors), se = unname(pr$se.fit), knots = kn)
})
eta <- sapply(per, `[[`, "eta"); se <- sapply(per, `[[`, "se")
k <- ncol(eta)
pool <- t(sapply(seq_along(g), function(i) {
  m <- rma(yi = eta[i, ], sei = se[i, ], method = "REML", control = rma_ctrl)
  mu <- as.numeric(m$beta); s <- as.numeric(m$se)
  half <- qt(0.975, k - 2) * sqrt(m$tau2 + s^2)
  c(plogis(mu), plogis(mu - z * s), plogis(mu + z * s), plogis(mu - half), plogis(mu + half),
    m$tau2)
}))
mac2 <- list(
  centres = names(per), eta = unname(eta), se = unname(se),
  observed = pool[, 1], lower = pool[, 2], upper = pool[, 3], pi_lower = pool[, 4],
  pi_upper = pool[, 5], tau2 = pool[, 6]
)

out <- list(
  stability = stab, glmm = glmm, mac2 = mac2, grid = g,
  R_version = R.version.string,
  versions = list(lme4 = as.character(packageVersion("lme4")),
                  Matrix = as.character(packageVersion("Matrix")),
                  rms = as.character(packageVersion("rms")),
                  Hmisc = as.character(packageVersion("Hmisc")),
                  metafor = as.character(packageVersion("metafor"))),
  date = as.character(Sys.Date())
)
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
