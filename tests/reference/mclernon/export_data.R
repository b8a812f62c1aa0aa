# McLernon et al. 2023 (Ann Intern Med 176:105-114), companion code
# github.com/danielegiardiello/Prediction_performance_survival, 01_predsurv_minimal.R:
# the model is developed on Rotterdam (survival::rotterdam) censored at 5 years and
# validated on GBSG (survival::gbsg). Rotterdam and GBSG are real patient data: this script
# writes them to the folder given as its only argument (a temporary folder of the test),
# never into the repository, with R's reference values.
# Usage: Rscript export_data.R <folder>
suppressPackageStartupMessages({library(survival); library(rms); library(riskRegression);
                                library(jsonlite)})
out <- commandArgs(trailingOnly = TRUE)[1]
rotterdam <- survival::rotterdam
gbsg <- survival::gbsg
rotterdam$ryear <- rotterdam$rtime / 365.25
rotterdam$rfs <- with(rotterdam, pmax(recur, death))
fix <- rotterdam$rfs == 1 & rotterdam$recur == 0 & rotterdam$death == 1 &
  (rotterdam$rtime < rotterdam$dtime)
rotterdam$ryear[fix] <- rotterdam$dtime[fix] / 365.25
nodes99 <- quantile(rotterdam$nodes, .99, type = 1)
rotterdam$nodes2 <- pmin(rotterdam$nodes, nodes99)
rotterdam$csize <- rotterdam$size
rotterdam$grade3 <- as.factor(rotterdam$grade)
levels(rotterdam$grade3) <- c("1-2", "3")
r3 <- rcspline.eval(rotterdam$nodes2, knots = c(0, 1, 9)); attributes(r3) <- NULL
rotterdam$nodes3 <- r3
gbsg$ryear <- gbsg$rfstime / 365.25
gbsg$rfs <- gbsg$status
gbsg$csize <- cut(gbsg$size, c(-1, 20, 50, 500), c("<=20", "20-50", ">50"))
gbsg$nodes2 <- pmin(gbsg$nodes, nodes99)
gbsg$grade3 <- as.factor(gbsg$grade)
levels(gbsg$grade3) <- c("1-2", "1-2", "3")
g3 <- rcspline.eval(gbsg$nodes2, knots = c(0, 1, 9)); attributes(g3) <- NULL
gbsg$nodes3 <- g3
temp <- survSplit(Surv(ryear, rfs) ~ ., data = rotterdam, cut = 5, episode = "epoch")
rott5 <- subset(temp, epoch == 1)
temp <- survSplit(Surv(ryear, rfs) ~ ., data = gbsg, cut = 5, episode = "epoch")
gbsg5 <- subset(temp, epoch == 1)
efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3, data = rott5,
               x = TRUE, y = TRUE)
obj <- summary(survfit(Surv(ryear, rfs) ~ 1, data = gbsg5), times = 5)
pred <- predictRisk(efit1, newdata = gbsg5, times = 5)
cols <- c("ryear", "rfs", "csize", "nodes2", "nodes3", "grade3")
write.csv(as.data.frame(rott5)[, cols], file.path(out, "rott5.csv"), row.names = FALSE)
write.csv(as.data.frame(gbsg5)[, cols], file.path(out, "gbsg5.csv"), row.names = FALSE)
res <- list(coef = unname(coef(efit1)), names = names(coef(efit1)),
            observed = 1 - obj$surv, expected = mean(pred), oe = (1 - obj$surv) / mean(pred),
            pred_head = unname(pred[1:20]),
            R_version = R.version.string,
            survival_version = as.character(packageVersion("survival")),
            riskRegression_version = as.character(packageVersion("riskRegression")))
write(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "values.json"))
