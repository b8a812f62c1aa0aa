# Reference values: cmprsk::crr (Fine-Gray, cause 1) coefficients, robust SEs and predicted
# CIF; cmprsk::cuminc (Aalen-Johansen) estimates and variances at fixed times.
library(cmprsk); library(jsonlite)
d <- read.csv("data_fg.csv")
X <- as.matrix(d[, c("x1", "x2")])
fit <- crr(d$time, d$cause, X, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
nd <- rbind(c(0, 0), c(1, 1), c(-1, 0))
pr <- predict(fit, nd)
times <- c(0.5, 1, 2, 3, 4)
ci <- cuminc(d$time, d$cause, cencode = 0)
tp <- timepoints(ci, times)
res <- list(coef = unname(fit$coef), se = unname(sqrt(diag(fit$var))), loglik = fit$loglik,
            converged = fit$converged,
            pred_times = pr[, 1], pred_cif = unname(pr[, -1]), newdata = nd,
            cuminc_times = times,
            cuminc_est1 = unname(tp$est[1, ]), cuminc_var1 = unname(tp$var[1, ]),
            cuminc_est2 = unname(tp$est[2, ]), cuminc_var2 = unname(tp$var[2, ]),
            R_version = R.version.string, cmprsk_version = as.character(packageVersion("cmprsk")),
            date = as.character(Sys.Date()))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
