# McLernon et al. 2023 recipe (see export_data.R) on the committed synthetic data:
# efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3) on data_dev.csv;
# observed = 1 - KM(5) on data_val.csv; expected = mean(predictRisk(efit1, val, times = 5));
# O/E and its CI exp(+-1.96 sqrt(1/events)). Times are whole months: heavy ties, so the
# Efron-type baseline of predictRisk matters. Run from this folder: Rscript reference.R
suppressPackageStartupMessages({library(survival); library(riskRegression); library(jsonlite)})
dev <- read.csv("data_dev.csv"); val <- read.csv("data_val.csv")
for (d in c("dev", "val")) {
  x <- get(d)
  x$csize <- factor(x$csize, c("<=20", "20-50", ">50")); x$grade3 <- factor(x$grade3)
  assign(d, x)
}
efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3, data = dev,
               x = TRUE, y = TRUE, control = coxph.control(eps = 1e-12, toler.chol = 1e-15))
obj <- summary(survfit(Surv(ryear, rfs) ~ 1, data = val), times = 5)
pred <- predictRisk(efit1, newdata = val, times = 5)
pred3 <- predictRisk(efit1, newdata = val, times = 3)
oe <- (1 - obj$surv) / mean(pred)
res <- list(coef = unname(coef(efit1)), se = unname(sqrt(diag(vcov(efit1)))),
            names = names(coef(efit1)), observed = 1 - obj$surv, expected = mean(pred),
            oe = oe, oe_lower = oe * exp(-qnorm(0.975) * sqrt(1 / obj$n.event)),
            oe_upper = oe * exp(qnorm(0.975) * sqrt(1 / obj$n.event)),
            pred5 = unname(pred[, 1]), pred3 = unname(pred3[, 1]),
            R_version = R.version.string,
            survival_version = as.character(packageVersion("survival")),
            riskRegression_version = as.character(packageVersion("riskRegression")),
            date = as.character(Sys.Date()))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")
