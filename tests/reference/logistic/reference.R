# Reference values for irdp LogisticIndex: glm(family = binomial), with factors (explicit
# reference levels), with case weights, and with rms::rcs(age, 4) (default knots).
library(jsonlite); library(rms)
d <- read.csv("data_logistic.csv")
d$sex <- relevel(factor(d$sex), ref = "M")
d$job <- relevel(factor(d$job), ref = "employe")
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
one <- function(fit) list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
                          names = names(coef(fit)), loglik = as.numeric(logLik(fit)))
f1 <- glm(y ~ age + sex + job + absence, family = binomial, data = d, control = ctl)
f2 <- glm(y ~ age + sex + job + absence, family = binomial, data = d, weights = w, control = ctl)
f3 <- glm(y ~ rcs(age, 4) + sex, family = binomial, data = d, control = ctl)
res <- list(plain = one(f1), weights = one(f2), spline = one(f3),
            spline_knots = as.numeric(attr(rcs(d$age, 4), "parms")),
            R_version = R.version.string, rms_version = as.character(packageVersion("rms")),
            date = as.character(Sys.Date()))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
