# Reference values for irdp.missing.rubin_pool: mice::pool (Rubin's rules, Barnard-Rubin df)
# and mice::pool.scalar. Run from this folder: Rscript reference.R  (writes values.json)
suppressMessages({library(mice); library(jsonlite)})
# nhanes (25 rows, bundled with mice): logistic-free linear model so that dfcom = n - k
imp <- mice(nhanes, m = 5, seed = 20240601, printFlag = FALSE)
fit <- with(imp, lm(chl ~ age + bmi))
per <- lapply(fit$analyses, function(f) {
  s <- summary(f)$coefficients
  list(term = rownames(s), estimate = unname(s[, 1]), std_error = unname(s[, 2]))
})
pooled <- summary(pool(fit))
pl <- pool(fit)$pooled
# pool.scalar on fixed numbers (C statistics on the logit scale, done by hand in R)
q <- c(0.70, 0.74, 0.72, 0.69); se <- c(0.02, 0.02, 0.025, 0.021)
lq <- log(q / (1 - q)); lu <- (se / (q * (1 - q)))^2
ps <- pool.scalar(lq, lu, n = 400, k = 1)
ps_large <- pool.scalar(lq, lu, n = Inf, k = 1)
out <- list(
  r_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  date = as.character(Sys.Date()),
  lm = list(per_imputation = per, dfcom = unname(pl$dfcom[1]),
            term = as.character(pooled$term), estimate = pooled$estimate,
            std_error = pooled$std.error, df = pooled$df,
            b = pl$b, ubar = pl$ubar, t = pl$t, riv = pl$riv, fmi = pl$fmi),
  scalar = list(q = q, se = se, n = 400, k = 1,
                qbar = ps$qbar, ubar = ps$ubar, b = ps$b, t = ps$t, df = ps$df,
                r = ps$r, fmi = ps$fmi, df_large_n = ps_large$df)
)
write_json(out, "values.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
