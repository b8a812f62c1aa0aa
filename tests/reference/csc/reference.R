# Reference values: riskRegression::CSC (one coxph per cause, Efron ties) and
# predictRisk(cause = 1) absolute risks at fixed times for new covariate rows, on data
# without ties (data_csc.csv) and with ties (../finegray/data_fg.csv).
suppressMessages({library(riskRegression); library(survival); library(jsonlite)})
d <- read.csv("data_csc.csv")
fit <- CSC(Hist(time, cause) ~ x1 + x2, data = d, cause = 1)
nd <- data.frame(x1 = c(0, 1, -1, 0.5), x2 = c(0, 1, 0, 1))
times <- c(0.5, 1, 2, 3)
risk <- predictRisk(fit, newdata = nd, times = times, cause = 1)
risk_exp <- predictRisk(fit, newdata = nd, times = times, cause = 1, product.limit = FALSE)
# tied times (the Fine-Gray fixture data): riskRegression then uses Efron's baseline hazard
dt <- read.csv("../finegray/data_fg.csv")
fit_t <- CSC(Hist(time, cause) ~ x1 + x2, data = dt, cause = 1)
risk_tied <- predictRisk(fit_t, newdata = nd, times = times, cause = 1)
res <- list(coef1 = unname(coef(fit$models[[1]])), coef2 = unname(coef(fit$models[[2]])),
            times = times, newdata = as.matrix(nd), risk = unname(risk), risk_exponential = unname(risk_exp),
            risk_tied = unname(risk_tied),
            R_version = R.version.string,
            riskRegression_version = as.character(packageVersion("riskRegression")),
            date = as.character(Sys.Date()))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
