# Survival and competing-risk calibration reference values at horizon 4.99.
# Survival (McLernon et al. 2023 companion code, steps reproduced):
#   O/E = (1 - KM(t)) / mean(risk), CI O/E * exp(+-1.96 sqrt(1/events by t));
#   slope = coxph(Surv(time, event) ~ cll(risk)) on data censored administratively at t;
#   curve = cph(Surv(time, event) ~ rcs(cll(risk), 3)); observed = 1 - survest(t);
#   ICI/E50/E90/Emax over the rows.
# Competing risks (van Geloven et al. 2022 recipe): Aalen-Johansen CIF and variance from
#   cmprsk::cuminc; weighted Fine-Gray data from survival::finegray (equivalent of
#   mstate::crprep); slope = weighted coxph on cll(risk); curve = weighted coxph on
#   rcs(cll(risk), 3 knots as rms), observed = 1 - exp(-H(t|x)). coxph reports a robust SE
#   with non-integer weights (slope_se); slope_se_naive is the model-based one.
# Run from the repository root: Rscript tests/reference/calibration_survival/reference.R
suppressPackageStartupMessages({library(rms); library(survival); library(cmprsk); library(jsonlite)})
h <- 4.99
d <- read.csv("tests/reference/metrics_data/survival.csv")
d$cll <- log(-log(1 - d$risk5))
d5 <- d; d5$event[d5$time > h] <- 0; d5$time <- pmin(d5$time, h)
km <- survfit(Surv(time, event) ~ 1, data = d)
obs <- 1 - summary(km, times = h)$surv
n_ev <- sum(d5$event)
oe <- obs / mean(d$risk5)
slope <- coxph(Surv(time, event) ~ cll, data = d5)
dd <- datadist(d5); options(datadist = "dd")
vcal <- cph(Surv(time, event) ~ rcs(cll, 3), data = d5, x = TRUE, y = TRUE, surv = TRUE)
knots <- attr(rcspline.eval(d5$cll, nk = 3, knots.only = TRUE), "dimnames")
knots <- rcspline.eval(d5$cll, nk = 3, knots.only = TRUE)
obs_i <- 1 - survest(vcal, times = h, newdata = d5)$surv
e <- abs(d$risk5 - obs_i)
surv_out <- list(observed = obs, oe = oe, oe_lower = oe * exp(-qnorm(0.975) * sqrt(1 / n_ev)),
                 oe_upper = oe * exp(qnorm(0.975) * sqrt(1 / n_ev)), events = n_ev,
                 slope = unname(coef(slope)), slope_se = unname(sqrt(vcov(slope)[1, 1])),
                 knots = unname(knots), ici = mean(e), e50 = median(e),
                 e90 = unname(quantile(e, 0.9)), emax = max(e))
cr <- read.csv("tests/reference/metrics_data/competing.csv")
cr$cll <- log(-log(1 - cr$risk5))
ci <- cuminc(cr$time, cr$status, cencode = 0)
tp <- timepoints(ci, h)
cif <- unname(tp$est["1 1", 1]); cif_var <- unname(tp$var["1 1", 1])
cr5 <- cr; cr5$status[cr5$time > h] <- 0; cr5$time <- pmin(cr5$time, h)
cr5$st <- factor(cr5$status, 0:2, c("cens", "ev1", "ev2"))
fg <- finegray(Surv(time, st) ~ ., data = cr5, etype = "ev1")
fslope <- coxph(Surv(fgstart, fgstop, fgstatus) ~ cll, weights = fgwt, data = fg)
k2 <- rcspline.eval(cr5$cll, nk = 3, knots.only = TRUE)
fg$s1 <- rcspline.eval(fg$cll, knots = k2, inclx = FALSE)[, 1]
cr5$s1 <- rcspline.eval(cr5$cll, knots = k2, inclx = FALSE)[, 1]
fcurve <- coxph(Surv(fgstart, fgstop, fgstatus) ~ cll + s1, weights = fgwt, data = fg)
bh <- basehaz(fcurve, centered = FALSE)
H0 <- max(bh$hazard[bh$time <= h])
lpv <- as.vector(as.matrix(cr5[, c("cll", "s1")]) %*% coef(fcurve))
obs_cr <- 1 - exp(-H0 * exp(lpv))
e2 <- abs(cr$risk5 - obs_cr)
cr_out <- list(cif = cif, cif_var = cif_var, oe = cif / mean(cr$risk5),
               slope = unname(coef(fslope)), slope_se = unname(sqrt(vcov(fslope)[1, 1])),
               slope_se_naive = unname(sqrt(fslope$naive.var[1, 1])),
               crr_slope = unname(crr(cr5$time, cr5$status, cr5$cll)$coef),
               knots = unname(k2), ici = mean(e2), e50 = median(e2),
               e90 = unname(quantile(e2, 0.9)), emax = max(e2))
out <- list(survival = surv_out, competing = cr_out, R = R.version.string,
            rms = as.character(packageVersion("rms")), survival_pkg = as.character(packageVersion("survival")),
            cmprsk = as.character(packageVersion("cmprsk")), date = as.character(Sys.Date()))
write_json(out, "tests/reference/calibration_survival/values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
