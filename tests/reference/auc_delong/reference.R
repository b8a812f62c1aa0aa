# pROC reference values: AUC, DeLong variance and CI, paired DeLong test.
# Run from the repository root: Rscript tests/reference/auc_delong/reference.R
library(pROC); library(jsonlite)
d <- read.csv("tests/reference/metrics_data/binary.csv")
r1 <- roc(d$y, d$p, direction = "<", levels = c(0, 1), quiet = TRUE)
r2 <- roc(d$y, d$p2, direction = "<", levels = c(0, 1), quiet = TRUE)
ci1 <- ci.auc(r1, method = "delong")
tt <- roc.test(r1, r2, method = "delong", paired = TRUE)
out <- list(
  auc_p = as.numeric(auc(r1)), var_p = var(r1, method = "delong"),
  ci_p = as.numeric(ci1)[c(1, 3)],
  auc_p2 = as.numeric(auc(r2)), var_p2 = var(r2, method = "delong"),
  test_z = unname(tt$statistic), test_p = tt$p.value,
  R = R.version.string, pROC = as.character(packageVersion("pROC")), date = as.character(Sys.Date())
)
write_json(out, "tests/reference/auc_delong/values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
