# Simulation-based reference values for irdp.validation.samplesize (Rscript reference.R).
# pmsampsize / pmvalsampsize are not packaged for Debian, so the deterministic criteria are
# checked against the values published in their CRAN test suites (see README.md), and the
# two quantities those packages estimate by simulation are re-estimated here with a large
# simulation written from the papers' descriptions:
#  - Cox-Snell R2 implied by a C statistic (Riley, Van Calster & Collins, Stat Med 2021):
#    LP ~ N(0,1) in non-events, N(sqrt(2) qnorm(C), 1) in events, logistic fit of y on LP.
#  - Fisher information of the calibration model logit P(y) = a + b LP at a = 0, b = 1
#    (Riley et al. Stat Med 2021, criterion 2), averaged over the LP distribution, giving
#    n2 = I00 / (se^2 (I00 I11 - I01^2)) with se = 0.2 / (2 * 1.96).
suppressMessages(library(jsonlite))
r2_from_c <- function(cstat, prev, n = 2e6, seed = 123456) {
  set.seed(seed)
  mu <- sqrt(2) * qnorm(cstat)
  n1 <- round(prev * n)
  lp <- c(rnorm(n - n1, 0, 1), rnorm(n1, mu, 1))
  y <- c(rep(0, n - n1), rep(1, n1))
  fit <- glm(y ~ lp, family = binomial)
  1 - exp(-(fit$null.deviance - fit$deviance) / n)
}
n_slope <- function(lp, width = 0.2) {
  p <- plogis(lp); d <- p * (1 - p)
  i00 <- mean(d); i01 <- mean(lp * d); i11 <- mean(lp^2 * d)
  se <- width / (2 * 1.96)
  i00 / (se^2 * (i00 * i11 - i01^2))
}
set.seed(20240601)
lp_norm <- rnorm(4e6, -5, 2.5)
p_beta <- rbeta(4e6, 0.5, 0.5)
out <- list(
  r2_c081_p077 = r2_from_c(0.81, 0.77),
  r2_c075_p020 = r2_from_c(0.75, 0.20),
  n2_lpnormal_m5_sd2.5 = n_slope(lp_norm),
  n2_lpbeta_05_05 = n_slope(qlogis(p_beta)),
  R_version = R.version.string,
  date = as.character(Sys.Date())
)
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
